"""Validation of SDTM and ADaM datasets: `engine.validate_folder` (the validate command), with the generic
standard model, readers, define.xml, pandera schemas, rules and report writers beside it; `run.validate_datasets`
(convert's check of its own frames against specs/); and the raw edit checks of check-raw (`edit_checks`).
See docs/validation.md."""
