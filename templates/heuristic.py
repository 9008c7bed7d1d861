"""HeuDiConv heuristic used by neuroflow's bids_conversion stage.

Maps series to BIDS by SeriesDescription / ProtocolName (case-insensitive) and ImageType:

  T1w MPRAGE (MPRAGE, MP-RAGE, T1w, T1_, BRAVO, 3D T1 TFE)  -> anat/sub-P_ses-S_T1w
  DWI / DTI / dMRI / diffusion (not ADC/FA/TRACEW maps)     -> dwi/sub-P_ses-S_dwi     (+ .bval/.bvec)
  GRE field map, magnitude (ImageType M, one or two echoes) -> fmap/sub-P_ses-S_magnitude1/2
  GRE field map, phase difference (ImageType P / PHASE)     -> fmap/sub-P_ses-S_phasediff
  BOLD / resting state / fMRI                               -> func/sub-P_ses-S_task-rest_bold
  ... its single-band reference (SBRef)                     -> func/sub-P_ses-S_task-rest_sbref

Localizers/scouts, derived images (motion-corrected, ADC, FA, TRACEW, MPR) and anything else are
left out. When several series match one target (a repeated DWI, say), each gets a run-NN entity.
Field maps are declared IntendedFor every DWI and BOLD run of the session (QSIPrep reads this).

It works for the synthetic sessions `neuroflow-synth` writes (T1w_MPRAGE, DWI_b1000_6dir,
gre_field_mapping x2, BOLD_rest) and for typical Siemens/GE/Philips/Canon series names; copy and
edit it for a site whose names differ (`heuristic` in neuroflow's config points at the copy).
"""

import re

POPULATE_INTENDED_FOR_OPTS = {
    "matching_parameters": ["Force"],
    "criterion": "Closest",
}

SKIP = re.compile(r"localizer|localiser|scout|aahead|survey|3-plane|3plane|calibration|phoenixzipreport", re.I)
# Whole-token matches: "MPR" (a reformat) must not match "MPRAGE", nor "FA" match "FAST".
DERIVED = re.compile(r"moco|colfa|trace|tensor|derived|(?<![a-z0-9])(adc|fa|mpr|mip)(?![a-z0-9])", re.I)
T1W = re.compile(r"mp-?rage|t1w|t1_|t1-|\bt1\b|bravo|3d.?t1|t1.?3d|tfe.*t1|spgr", re.I)
DWI = re.compile(r"dwi|dti|dmri|diff|hardi|multishell|ep2d_diff|cmrr.*dwi", re.I)
FMAP = re.compile(r"field.?map|fieldmap|gre_field|b0.?map|fmap|gre.?fm", re.I)
BOLD = re.compile(r"bold|rest|fmri|rs.?fmri|resting", re.I)
SBREF = re.compile(r"sbref", re.I)

# Targets: (name, template). "{run}" becomes "" or "_run-{item:02d}" (see _finalise).
TARGETS = {
    "t1w": "sub-{subject}/{session}/anat/sub-{subject}_{session}{run}_T1w",
    "dwi": "sub-{subject}/{session}/dwi/sub-{subject}_{session}{run}_dwi",
    "magnitude": "sub-{subject}/{session}/fmap/sub-{subject}_{session}{run}_magnitude",
    "phasediff": "sub-{subject}/{session}/fmap/sub-{subject}_{session}{run}_phasediff",
    "bold": "sub-{subject}/{session}/func/sub-{subject}_{session}_task-rest{run}_bold",
    "sbref": "sub-{subject}/{session}/func/sub-{subject}_{session}_task-rest{run}_sbref",
}


def create_key(template, outtype=("nii.gz",), annotation_classes=None):
    if not template:
        raise ValueError("Template must be a valid format string")
    return template, outtype, annotation_classes


def _image_type(s):
    return {str(t).upper() for t in (s.image_type or ())}


def _text(s):
    return " ".join(filter(None, [s.series_description, s.protocol_name]))


def classify(s):
    """The target name for one series, or None to leave it out."""
    text = _text(s)
    image_type = _image_type(s)
    if SKIP.search(text) or getattr(s, "is_derived", False) or DERIVED.search(text):
        return None
    if image_type & {"DERIVED", "MOCO", "ADC", "FA", "TRACEW", "MPR"}:
        return None
    if FMAP.search(text):
        return "phasediff" if image_type & {"P", "PHASE"} else "magnitude"
    if DWI.search(text):
        return "dwi"
    if BOLD.search(text):
        return "sbref" if SBREF.search(text) else "bold"
    if T1W.search(text):
        return "t1w"
    return None


def _finalise(matches):
    """Keys for the targets that matched; a run entity only where a target matched twice or more."""
    info = {}
    for name, series_ids in matches.items():
        run = "_run-{item:02d}" if len(series_ids) > 1 else ""
        info[create_key(TARGETS[name].replace("{run}", run))] = series_ids
    return info


def infotodict(seqinfo):
    """Heuristic evaluator for determining which runs belong where."""
    matches = {}
    for s in seqinfo:
        name = classify(s)
        if name is not None:
            matches.setdefault(name, []).append(s.series_id)
    return _finalise(matches)
