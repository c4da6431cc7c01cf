# hand-written: CloudGoat variables with a one-address whitelist
cgid         = "sltest"
cg_whitelist = ["1.2.3.4/32"]
