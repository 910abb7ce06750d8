"""002, "What 2D data reveals about deep nets" (Gupta): prediction surfaces of MLPs on 2-D data."""
