"""Reading user images safely (:mod:`.images`: Pillow and NumPy only, so the web app checks uploads without
torch) and streaming them into training (:mod:`.dataset`, :mod:`.transforms`)."""
