"""QRS end after the return of a terminal S wave (one or two usable leads).

The slope rule of :func:`.waves.qrs_bounds` ends the complex at the first sample after its
last significant slope where the slope magnitude falls below a share of the complex's
largest slope. At the tip of a terminal S wave the slope passes through zero, so when the
S wave returns to the ST level more slowly than that share of the R wave's steepest slope,
the offset is placed at the S-wave nadir -- before the return, i.e. inside the complex.

The QRS offset is the J point, the junction of the QRS complex and the ST segment (the
QRS end of the CSE measurement recommendations, Willems et al. 1985; Kligfield et al.
2007). An S wave is a deflection of the QRS complex, so its tip lies inside the complex and
the junction comes after its return. :func:`s_wave_return` moves such an offset to the end
of the return: where the returning slope has fallen to a share of its own steepest value
(the criterion of Martinez et al. 2004 for QRS boundaries, a threshold relative to the
boundary's own slope maximum rather than to the whole complex's).

With twelve leads the multi-lead shrinkage of each lead's offset towards the leads' median
(``Params.w_qrs_off``) and the latest offset over the leads already carry a terminal
deflection that is steep in another lead; with one or two leads there is no other lead to
carry it, so the rule acts only there (``Params.qrs_sret_max_leads``).

References
----------
Willems JL et al. (CSE Working Party). Recommendations for measurement standards in
quantitative electrocardiography. Eur Heart J 6(10):815-825, 1985.
Kligfield P et al. Recommendations for the standardization and interpretation of the
electrocardiogram, Part I. Circulation 115:1306-1324, 2007.
Martinez JP, Almeida R, Olmos S, Rocha AP, Laguna P. A wavelet-based ECG delineator:
evaluation on standard databases. IEEE Trans Biomed Eng 51(4):570-581, 2004.
"""

from __future__ import annotations

import numpy as np

from interp_ecg.features.delineation.windows import first_true, positions, take

__all__ = ["s_wave_return"]


def s_wave_return(w: np.ndarray, d: np.ndarray, off: np.ndarray, l_sig: np.ndarray,
                  span_qrs: np.ndarray, floor: np.ndarray | float, start_n: int, span_n: int,
                  end_frac: float, amp_frac: float, hi: np.ndarray) -> np.ndarray:
    """Move a QRS offset placed at the tip of an S wave to the end of its return.

    A return is a run of slope opposite in sign to the complex's last significant slope
    (the descent into the S wave), above ``floor``, starting within ``start_n`` samples of
    the offset. Its end is the first sample after its steepest point where the returning
    slope falls below ``end_frac`` of that steepest value; it is accepted only when that
    end lies within ``span_n`` samples of the offset (an ST segment that keeps rising is not
    a return), not beyond ``hi``, and the return covers at least ``amp_frac`` of the
    complex's peak-to-peak amplitude ``span_qrs``.

    Parameters
    ----------
    w, d : ndarray, shape (n_leads, n_beats, n)
        Windowed signal (mV) and its slope (same units per sample or per second; only
        signs and ratios are used).
    off : ndarray of int, shape (n_leads, n_beats)
        Offsets found by the slope rule (window index, ``-1`` where none).
    l_sig : ndarray of int, shape (n_leads, n_beats)
        Last significant slope of each complex (window index, ``-1`` where none: the
        offset is then left as it is).
    span_qrs : ndarray, shape (n_leads, n_beats)
        Peak-to-peak amplitude of each complex (mV).
    floor : float or ndarray broadcastable to (n_leads, n_beats, 1)
        Smallest returning slope counted (slope units, e.g. a multiple of the noise).
    start_n, span_n : int
        Samples.
    end_frac, amp_frac : float
        Shares.
    hi : ndarray of int, broadcastable to (n_leads, n_beats, 1)
        Last window index an offset may take.

    Returns
    -------
    ndarray of int, shape (n_leads, n_beats)
        The offsets, moved where a return was found, else unchanged.

    Examples
    --------
    An R wave, an S wave of -0.2 mV with its nadir at sample 60 and a return to the
    baseline that ends at sample 75 (a slow, linear return):

    >>> from interp_ecg.features.delineation.qrs_end import s_wave_return
    >>> import numpy as np
    >>> t = np.arange(120.0)
    >>> x = np.interp(t, [0, 40, 50, 60, 75, 119], [0, 0, 1.0, -0.2, 0, 0])
    >>> d = np.gradient(x)
    >>> out = s_wave_return(x[None, None], d[None, None], np.array([[60]]), np.array([[55]]),
    ...                     np.array([[1.2]]), 0.0, 4, 30, 0.25, 0.05, np.array([[[119]]]))
    >>> int(out[0, 0])
    76
    """
    pos = positions(w.shape[-1])
    ok = (off >= 0) & (l_sig >= 0) & np.isfinite(span_qrs)
    off_ = np.where(ok, off, 0)[..., None]
    s0 = np.sign(take(d, np.where(l_sig >= 0, l_sig, 0)))[..., None]
    rs = -s0 * d
    region = (pos > off_) & (pos <= off_ + span_n)
    ret = (rs > floor) & region
    started = first_true(ret & (pos <= off_ + start_n)) >= 0
    pk = np.argmax(np.where(region, rs, -np.inf), axis=-1)
    peak = take(rs, pk)[..., None]
    end = first_true(region & (pos > pk[..., None]) & (rs < end_frac * peak))
    amp = -s0[..., 0] * (take(w, np.where(end >= 0, end, 0)) - take(w, off_[..., 0]))
    hi_ = np.broadcast_to(np.asarray(hi), off_.shape)[..., 0]
    move = ok & started & (end >= 0) & (end <= hi_) & (amp >= amp_frac * span_qrs)
    return np.where(move, end, off)
