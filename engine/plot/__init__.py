"""Plan maps: PNG over the road network and GeoJSON (``plan_map``)."""
