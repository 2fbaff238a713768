"""The fault corpus of issue 12 (reliability): faulty copies of one clean simulated study."""
