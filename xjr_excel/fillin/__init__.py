"""填报表: the fill-in forms the city sends to enterprises and platforms (see fillin.layout)."""
