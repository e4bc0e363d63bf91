"""Speech enhancement (recipes/se): a general enhancer and the SRST paper's domain adaptation."""
