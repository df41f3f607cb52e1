"""The group-meeting brief: what was read, noted and reproduced in a period, ready to present."""
