"""The fault suite: the whole pipeline under SIGKILLs, cut connections and upstream errors."""
