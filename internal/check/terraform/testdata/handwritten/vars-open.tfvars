# hand-written: CloudGoat variables with the whitelist open to the internet
cgid         = "sltest"
cg_whitelist = ["0.0.0.0/0"]
