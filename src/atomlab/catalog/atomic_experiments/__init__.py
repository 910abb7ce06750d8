"""000, "Atomic Experiments in Deep Learning" (Abid, 2018): its twelve experiments, one module each."""
