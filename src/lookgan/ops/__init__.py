"""Pure tensor functions (augmentation, colour, LUTs), each usable without any model."""
