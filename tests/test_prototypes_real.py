"""The prototype network on real PTB-XL records (tiny model; behaviour, not accuracy)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from interp_ecg.io import protoecgnet_groups, read_ptbxl
from interp_ecg.prototypes import ProtoECGNetClassifier

pytestmark = pytest.mark.shared_data


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """One torch thread for this module (tests/conftest.py)."""


def test_fit_explain_on_ptbxl_records(ptbxl_root):
    import matplotlib.pyplot as plt

    ds = read_ptbxl(ptbxl_root, sampling_rate=100)
    train = ds.subset(query="strat_fold <= 8")
    train = train.subset(list(train.ids[:32]))
    test = ds.subset(query="strat_fold == 10")
    test = test.subset(list(test.ids[:2]))
    groups = protoecgnet_groups(ds)
    morph = str(train.labels[groups["morphology"]].sum().idxmax())  # the commonest morphology statement
    labels = train.labels[["NORM", "SR", morph]]
    clf = ProtoECGNetClassifier(preset="small", label_groups=groups, width=2, blocks=(1, 1, 1, 1), prototypes_per_class=1,
                                warmup_epochs=1, joint_epochs=1, last_layer_epochs=1, fusion_epochs=2,
                                batch_size=16, random_state=0, n_threads=1).fit(train, labels)
    # the PTB-XL branch assignment is honoured
    assert clf.branches_.loc["rhythm", "classes"] == "SR"
    assert clf.branches_.loc["global", "classes"] == "NORM"
    assert clf.branches_.loc["morphology", "classes"] == morph
    # every prototype comes from a training record of its own class, named by its ecg_id
    src = clf.prototype_sources_
    for name, row in src.iterrows():
        assert row["record_id"] in set(train.ids)
        assert train.labels.loc[row["record_id"], row["class"]] == 1
    sims = clf.transform(test)
    assert list(sims.index) == list(test.ids) and list(sims.columns) == ["proto_SR_00", f"proto_{morph}_00", "proto_NORM_00"]
    assert np.isfinite(sims.to_numpy()).all()
    rec = test[0]
    expl = clf.explain(rec)
    assert expl.record_id == str(rec.id)
    fig = expl.plot()
    assert fig.axes
    plt.close(fig)
