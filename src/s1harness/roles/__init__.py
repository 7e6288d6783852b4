"""Sans-IO behaviour of every party: DSP, S1SPs, devices, DCC users."""
