"""Validation: pandera schemas generated from specs, and the conformance rules beside them."""
