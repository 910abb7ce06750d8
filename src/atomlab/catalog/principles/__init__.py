"""004, the course problem set: initialisation, example order, XOR, depth versus width, CNNs on MNIST."""
