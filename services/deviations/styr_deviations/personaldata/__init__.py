"""Personal data of the person concerned: validation, encryption at rest, search by keyed
hash and the access log."""
