"""k2ctl: K2Cloud's command-line tool for production access (no Django here: it runs on a
bastion host with nothing but this package and kubectl)."""
