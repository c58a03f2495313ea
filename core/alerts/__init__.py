"""Heavy-pollution weather alerts (重污染天气预警) and the measures they impose on enterprises."""
