"""Rules whose check is a pandera schema (validate/schemas.py): declared here, run by the engine."""

from cdisc_mirocals.validate.rules import declare

BOTH = ("SDTM", "ADaM")

# generic standard model
declare("SD0002", "Error", "presence")
declare("AD0196", "Error", "presence", ("ADaM",))
declare("CT2001", "Error", "terminology", BOTH)
declare("CT2002", "Warning", "terminology", BOTH)
declare("SD0003", "Error", "dates", BOTH)
declare("SD1011", "Error", "dates")
# study metadata (specs/ or define.xml)
declare("SD0037", "Error", "terminology", BOTH)
declare("SD1228", "Error", "terminology", BOTH)
declare("SD1229", "Warning", "terminology", BOTH)
declare("SD1231", "Error", "define", BOTH)
declare("SD1152", "Error", "identity", BOTH)
declare("MC0301", "Error", "define", BOTH, message="Null value in variable marked as Mandatory in define.xml",
        description="A variable that the study metadata (define.xml, or the study specification) marks Mandatory "
                    "must have a value on every record.", category="Presence")
declare("MC0302", "Error", "define", BOTH, message="Value is longer than the variable's defined length",
        description="Character values must fit the Length given in the study metadata (define.xml, or the study "
                    "specification), in UTF-8 bytes, and never exceed 200 bytes.", category="Limit")
