"""The numba ruin-and-recreate search: ``kernels`` (jitted moves on flat state), ``improve`` (the driver)."""
