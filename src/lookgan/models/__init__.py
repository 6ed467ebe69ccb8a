"""Networks: plain ``nn.Module``s with keyword-only constructors and no device logic inside."""
