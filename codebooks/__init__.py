"""The codebooks that ship with themes (and their calibrations): `--codebook rfi_themes` names one."""
