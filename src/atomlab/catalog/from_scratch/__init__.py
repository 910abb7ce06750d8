"""003, the backpropagation problem set: the network written from scratch, and the CNN on MNIST."""
