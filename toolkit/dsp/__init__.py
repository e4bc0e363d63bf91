"""Signal processing: features, vocoder, delay estimation, rooms and echo."""
