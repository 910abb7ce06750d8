"""The numba kernels of the compiled tier: a stretch of training steps of every member in one call.

Layout. Members are the SIMD lanes: every array ends in a contiguous lane axis of length ``L`` (a
multiple of 8, the float32 lanes of one AVX2 register, so the products take whole vectors; 20 members
take 24 lanes, not 32). A member's arithmetic is the same sequence of IEEE operations whichever lane it
sits in (the lanes of a loop's scalar remainder, where LLVM leaves one, compute the same operations one
at a time: no FMA, no reassociation), so member i of a population is bit for bit model i trained alone.
Rows index everything else:

- parameters ``theta[block, row, lane]``: layer slot s has ``W`` at rows ``woff[s] + i * fan_out + j`` and
  ``b`` at rows ``boff[s] + j`` (``W`` is ``[fan_in, fan_out]`` as in :class:`atomlab.nn.PopulationMLP`);
- activations ``Z`` / ``H`` (pre- and post-activation) of layer l at rows ``zoff[l] + b * fan_out + j``.

Arithmetic. The update rules, losses and activations are those of ``atomlab.nn.fastpath_numpy`` in the
same order of operations, scalars computed in float64 and rounded to the array's type where NumPy's rule
for Python scalars rounds them. Compiled without FMA contraction (``contract`` is not among the fastmath
flags) and without ``nnan`` / ``ninf``, which would let LLVM fold away the divergence guard's NaN test.
Transcendentals are libm calls (exact to an ulp, scalar), except float32 ``tanh`` (and the sigmoid built
on it), a rational approximation that vectorises, as XLA and Eigen compute it, and float32 ``sin`` /
``cos``, computed in float64 by fdlibm's polynomials without a call, so that they vectorise too
(:func:`sincos`; the sin activation leaves cos z in ``Z`` for its derivative).

Losses. The losses fastpath_numpy lacks (all but cross-entropy and MSE) are those of ``atomlab.nn.losses``,
their gradients derived by hand (:func:`_output_loss`, :func:`_raw_output_loss`), with autograd's
subgradients at the kinks: ``sgn(0) = 0`` for the absolute errors, 0 where a hinge margin is exactly 0.

Everything compiled lives in this one module: numba's on-disk cache (``cache=True``) is invalidated by
changes to the caller's file only, so a kernel split over two files could run a stale callee.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, models, overload, register_model

#: Kept off: ``contract`` (FMA would round differently from NumPy's separate multiply and add) and
#: ``nnan`` / ``ninf`` (the divergence guard tests for NaN and inf). ``nsz`` lets LLVM ignore the sign of
#: zero, which no result here depends on.
FASTMATH = frozenset({"nsz"})
_JIT = {"cache": True, "error_model": "numpy", "fastmath": set(FASTMATH), "nogil": True}

# Codes shared with atomlab.engine.compiled (the Python side).
RELU, TANH, SIGMOID, IDENTITY, SQUARE, SIN, ABS, SIGN, SWISH, ELU, SOFTPLUS, LEAKY_RELU = range(12)
CROSS_ENTROPY, MSE, MSE_REGRESSION = range(3)
#: More losses (atomlab.nn.losses): on softmax probabilities, on raw outputs against one-hot labels (hinge
#: against +-1), and on raw outputs against regression targets (float ``yr``). Codes from
#: :data:`MAE_REGRESSION` on, and :data:`MSE_REGRESSION`, read regression targets.
PADDED_CROSS_ENTROPY, MAE, FOURTH_POWER = range(3, 6)
LOGIT_MSE, LOGIT_MAE, LOGIT_FOURTH_POWER, HINGE, CONSTANT = range(6, 11)
MAE_REGRESSION, FOURTH_POWER_REGRESSION, HINGE_REGRESSION, CONSTANT_REGRESSION = range(11, 15)
#: 002's floor inside the logarithm of the padded cross-entropy (``losses.PADDED_CE_EPSILON``).
PADDED_CE_EPSILON = 0.01
SGD, MOMENTUM, ADAM, RMSPROP, ADAGRAD = range(5)
NO_PENALTY, L2, L1, L2_SUM, L1_SUM = range(5)
#: Indices into the ``hyper`` array.
H_MOMENTUM, H_NESTEROV, H_BETA1, H_BETA2, H_EPS, H_ALPHA, H_DIVERGENCE = range(7)

def like(ref, value):
    """``value`` as the float type of ``ref`` (a float scalar or array); inside kernels only."""
    raise NotImplementedError


@overload(like)
def _like_impl(ref, value):
    dtype = ref.dtype if isinstance(ref, types.Array) else ref
    if dtype == types.float32:
        return lambda ref, value: np.float32(value)
    return lambda ref, value: np.float64(value)


def tanh(x):
    """tanh of a float32 (rational approximation) or float64 (libm) scalar; inside kernels only."""
    raise NotImplementedError


@overload(tanh)
def _tanh_impl(x):
    if x == types.float32:
        def tanh32(x):
            # Eigen's / XLA's float32 tanh: an odd degree-13 over an even degree-6 polynomial on
            # [-c, c], within 6 ulp of tanh. Evaluated by Estrin's scheme (its dependency chain is half
            # Horner's: the loop was latency-bound) with the coefficients as literals (module globals
            # were reloaded from memory on every iteration).
            c = np.float32(7.90531110763549805)
            xc = c if x > c else x
            xc = -c if xc < -c else xc
            x2 = xc * xc
            x4 = x2 * x2
            x8 = x4 * x4
            p = (((np.float32(4.89352455891786e-03) + np.float32(6.37261928875436e-04) * x2)
                  + (np.float32(1.48572235717979e-05) + np.float32(5.12229709037114e-08) * x2) * x4)
                 + ((np.float32(-8.60467152213735e-11) + np.float32(2.00018790482477e-13) * x2)
                    + np.float32(-2.76076847742355e-16) * x4) * x8)
            q = ((np.float32(4.89352518554385e-03) + np.float32(2.26843463243900e-03) * x2)
                 + (np.float32(1.18534705686654e-04) + np.float32(1.19825839466702e-06) * x2) * x4)
            t = (p * xc) / q
            return x if abs(x) < np.float32(0.0004) else t  # tiny x: tanh(x) = x in float32
        return tanh32
    return lambda x: math.tanh(x)



#: Above this magnitude float32 ``sin`` / ``cos`` go to libm: the two-part reduction by pi/2 in
#: :func:`sincos` is exact to float32's needs while ``k * PIO2_1`` is exact (k < 2^20, |x| < 1.6e6).
TRIG_LIBM_ABOVE = 1.0e5


def sincos(x):
    """``(sin x, cos x)`` of a float32 (vectorisable) or float64 (libm) scalar; inside kernels only.
    Float32 arguments above :data:`TRIG_LIBM_ABOVE` are left to libm (:func:`_sin_and_cos`)."""
    raise NotImplementedError


@overload(sincos)
def _sincos_impl(x):
    if x == types.float32:
        def sincos32(x):
            # In float64, without a call or a branch, so that the loop over the lanes vectorises (libm's
            # sinf is a scalar call: sin's group took 2.5x relu's in activation-functions' step). x - k pi/2
            # in two parts (fdlibm's 33-bit PIO2_1 and its tail), then fdlibm's sin and cos polynomials
            # on [-pi/4, pi/4], picked and signed by the quadrant: within about 1e-16 of sin(x) and
            # cos(x) before the rounding to float32, so each result is the correctly rounded one except
            # where the true value lies within about 1e-16 of a midpoint between two floats.
            xd = np.float64(x)
            k = np.floor(xd * 0.63661977236758134308 + 0.5)
            r = (xd - k * 1.57079632673412561417) - k * 6.07710050650619224932e-11
            z = r * r
            sr = r + r * z * (-1.66666666666666324348e-01 + z * (8.33333333332248946124e-03 + z * (
                -1.98412698298579493134e-04 + z * (2.75573137070700676789e-06 + z * (
                    -2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)))))
            cr = (1.0 - 0.5 * z) + z * z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03 + z * (
                2.48015872894767294178e-05 + z * (-2.75573143513906633035e-07 + z * (
                    2.08757232129817482790e-09 + z * -1.13596475577881948265e-11)))))
            q = k - 4.0 * np.floor(k * 0.25)  # the quadrant, 0 .. 3
            odd = q == 1.0 or q == 3.0
            s = cr if odd else sr  # sin x: sin r, cos r, -sin r, -cos r
            c = sr if odd else cr  # cos x: cos r, -sin r, -cos r, sin r
            s = -s if q >= 2.0 else s
            c = -c if (q == 1.0 or q == 2.0) else c
            return np.float32(s), np.float32(c)
        return sincos32
    return lambda x: (math.sin(x), math.cos(x))


def _is_float32(arr):
    """Whether ``arr`` holds float32 (a compile-time constant); inside kernels only."""
    raise NotImplementedError


@overload(_is_float32)
def _is_float32_impl(arr):
    answer = arr.dtype == types.float32
    return lambda arr: answer


@njit(**_JIT)
def _sin_and_cos(zf, hf, n):
    """``hf[q] = sin(zf[q])`` and ``zf[q] = cos(zf[q])`` for ``q < n``: the derivative needs cos z and
    nothing else of z, and :func:`sincos` has it for free. One loop that vectorises; float32 arguments
    beyond :data:`TRIG_LIBM_ABOVE` (an infinity too) are kept in ``zf`` and computed by libm after (a
    cosine is never that large; NaN for an infinity either way); a float64 argument always took libm."""
    big = like(zf, TRIG_LIBM_ABOVE)
    f32 = _is_float32(zf)
    count = 0
    for q in range(n):
        z = zf[q]
        s, c = sincos(z)
        hf[q] = s
        far = f32 and abs(z) > big
        zf[q] = z if far else c
        count += 1 if far else 0
    if count > 0:
        for q in range(n):
            z = zf[q]
            if abs(z) > big:
                hf[q] = math.sin(z)
                zf[q] = math.cos(z)


# ----- explicit SIMD values for the dense products -----------------------------------------------------
# A product's inner loop over the lanes was left to LLVM's loop vectoriser: every sum lived in memory
# (numba cannot say that two arrays do not alias, so each loop re-checked overlaps at run time and kept
# the accumulator in memory), and with L = 32 lanes a loop is only four AVX2 vectors long, so its set-up
# cost as much as its work. Here a product holds VEC lanes of a sum in one LLVM vector value (a
# register), loaded and stored once. Per lane the arithmetic is unchanged: the same IEEE multiplies and
# adds (no FMA, no reassociation), in the same order, so every number is bit for bit what the scalar
# loops computed.

#: Lanes of one SIMD value: 32 bytes (one AVX2 register: 8 float32 or 4 float64 lanes). A block's lane
#: count (a multiple of 8) is a whole number of them for either type. 64 bytes held two registers per
#: sum but made blocks multiples of 16 lanes (20 members padded to 32); the products now hold eight
#: sums of one register each (tiles that share their loads) instead of four of two.
VEC_BYTES = 32


class _Vec(types.Type):
    """``n`` lanes of ``dtype`` in one LLVM vector value (inside kernels only)."""

    def __init__(self, dtype, n):
        self.dtype, self.n = dtype, n
        super().__init__(name=f"Vec({dtype} x {n})")


@register_model(_Vec)
class _VecModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.VectorType(dmm.lookup(fe_type.dtype).get_value_type(), fe_type.n))


def _vec_of(arr):
    return _Vec(arr.dtype, VEC_BYTES * 8 // arr.dtype.bitwidth)


def _lane_pointer(context, builder, aryty, ary, row, col):
    """Pointer to ``ary[row, col]`` as a pointer to a vector (C-contiguous 2-D arrays, no wraparound)."""
    a = context.make_array(aryty)(context, builder, ary)
    ptr = cgutils.get_item_pointer2(context, builder, data=a.data, shape=cgutils.unpack_tuple(builder, a.shape),
                                    strides=cgutils.unpack_tuple(builder, a.strides), layout=aryty.layout,
                                    inds=[row, col], wraparound=False)
    return ptr


@intrinsic
def vload(typingctx, arr, row, col):
    """The lanes ``arr[row, col:col + n]`` as one vector value."""
    if not (isinstance(arr, types.Array) and arr.ndim == 2 and arr.layout == "C"
            and arr.dtype in (types.float32, types.float64)):
        return None
    vt = _vec_of(arr)

    def codegen(context, builder, sig, args):
        ptr = _lane_pointer(context, builder, sig.args[0], args[0], args[1], args[2])
        vty = context.get_value_type(vt)
        return builder.load(builder.bitcast(ptr, vty.as_pointer()), align=arr.dtype.bitwidth // 8)

    return vt(arr, types.intp, types.intp), codegen


@intrinsic
def vstore(typingctx, arr, row, col, v):
    """``arr[row, col:col + n] = v``."""
    if not (isinstance(arr, types.Array) and arr.ndim == 2 and arr.layout == "C" and isinstance(v, _Vec)
            and v == _vec_of(arr) and arr.mutable):
        return None

    def codegen(context, builder, sig, args):
        ptr = _lane_pointer(context, builder, sig.args[0], args[0], args[1], args[2])
        builder.store(args[3], builder.bitcast(ptr, args[3].type.as_pointer()), align=arr.dtype.bitwidth // 8)
        return context.get_dummy_value()

    return types.none(arr, types.intp, types.intp, v), codegen


@intrinsic
def vadd(typingctx, a, b):
    """Lane-wise ``a + b`` (one IEEE add per lane)."""
    if not (isinstance(a, _Vec) and a == b):
        return None
    return a(a, b), lambda context, builder, sig, args: builder.fadd(args[0], args[1])


@intrinsic
def vmul(typingctx, a, b):
    """Lane-wise ``a * b`` (one IEEE multiply per lane)."""
    if not (isinstance(a, _Vec) and a == b):
        return None
    return a(a, b), lambda context, builder, sig, args: builder.fmul(args[0], args[1])


@intrinsic
def vzero(typingctx, arr):
    """A vector of zeros of ``arr``'s lane type."""
    if not (isinstance(arr, types.Array) and arr.dtype in (types.float32, types.float64)):
        return None
    vt = _vec_of(arr)

    def codegen(context, builder, sig, args):
        return ir.Constant(context.get_value_type(vt), None)

    return vt(arr), codegen


@intrinsic
def vlanes(typingctx, arr):
    """How many lanes one vector of ``arr``'s type holds (a compile-time constant)."""
    if not (isinstance(arr, types.Array) and arr.dtype in (types.float32, types.float64)):
        return None
    n = _vec_of(arr).n

    def codegen(context, builder, sig, args):
        return context.get_constant(types.intp, n)

    return types.intp(arr), codegen


@njit(**_JIT)
def _nanmin(a, b):
    # np.minimum's rule: a NaN in either argument is the result (Python's min would drop it)
    return a if (a < b or a != a) else b


@njit(**_JIT)
def _sigmoid(z):
    # (1 + tanh(z / 2)) / 2, as fastpath_numpy computes it: no overflow for any z.
    half = like(z, 0.5)
    return (like(z, 1.0) + tanh(z * half)) * half


@njit(**_JIT)
def _activate(code, Z, H, r0, rows, L):
    """``H[r] = f(Z[r])`` for rows ``r0 .. r0 + rows``.

    The rows are contiguous, so each activation is one flat loop (a loop per row of L lanes paid its
    vectoriser's set-up for every row); the transcendental ones take two independent halves per
    iteration, which lets the CPU overlap their long dependency chains. The loops index slices from 0:
    an index that starts at a run-time offset might be negative as far as LLVM knows, so numba's
    wraparound for negative indices stayed in the loop and kept it from vectorising (3 to 5x slower on
    universal-approximation's sigmoid layer).
    """
    a = r0 * L
    n = rows * L
    half = n // 2  # L is a multiple of 8: n is even
    zf = Z.reshape(Z.size)[a:a + n]
    hf = H.reshape(H.size)[a:a + n]
    z1, z2 = zf[:half], zf[half:]
    h1, h2 = hf[:half], hf[half:]
    zero, one = like(Z, 0.0), like(Z, 1.0)
    if code == RELU:
        for q in range(n):
            z = zf[q]
            hf[q] = z if z > zero else (z if z != z else zero)  # np.maximum keeps NaN
    elif code == TANH:
        for q in range(half):
            h1[q] = tanh(z1[q])
            h2[q] = tanh(z2[q])
    elif code == SIGMOID:
        for q in range(half):
            h1[q] = _sigmoid(z1[q])
            h2[q] = _sigmoid(z2[q])
    elif code == IDENTITY:
        for q in range(n):
            hf[q] = zf[q]
    elif code == SQUARE:
        for q in range(n):
            hf[q] = zf[q] * zf[q]
    elif code == SIN:
        _sin_and_cos(zf, hf, n)  # Z keeps cos z for the derivative
    elif code == ABS:
        for q in range(n):
            hf[q] = abs(zf[q])
    elif code == SIGN:
        for q in range(n):
            z = zf[q]
            hf[q] = one if z > zero else (-one if z < zero else z)  # sign(0) = 0, sign(NaN) = NaN
    elif code == SWISH:
        for q in range(half):
            h1[q] = z1[q] * _sigmoid(z1[q])
            h2[q] = z2[q] * _sigmoid(z2[q])
    elif code == ELU:
        for q in range(n):
            z = zf[q]
            hf[q] = z if z > zero else math.expm1(_nanmin(z, zero))
    elif code == SOFTPLUS:
        twenty = like(Z, 20.0)
        for q in range(n):
            z = zf[q]
            hf[q] = z if z > twenty else math.log1p(math.exp(_nanmin(z, twenty)))
    else:  # LEAKY_RELU
        slope = like(Z, 0.01)
        for q in range(n):
            z = zf[q]
            hf[q] = z if z > zero else slope * z


@njit(**_JIT)
def _activate_backward(code, D, Z, H, z0, G, rows, L):
    """``G[r] = D[r] * f'(Z[z0 + r])`` (f' written as fastpath_numpy writes it), rows ``0 .. rows``; flat loops
    over slices from 0 (see :func:`_activate`)."""
    n = rows * L
    o = z0 * L  # Z and H rows start at z0
    df, gf = D.reshape(D.size)[:n], G.reshape(G.size)[:n]
    zf, hf = Z.reshape(Z.size)[o:o + n], H.reshape(H.size)[o:o + n]
    zero, one = like(Z, 0.0), like(Z, 1.0)
    if code == RELU:
        for q in range(n):
            gf[q] = df[q] * (one if hf[q] > zero else zero)
    elif code == TANH:
        for q in range(n):
            h = hf[q]
            gf[q] = df[q] * (one - h * h)
    elif code == SIGMOID:
        for q in range(n):
            h = hf[q]
            gf[q] = df[q] * h * (one - h)
    elif code == IDENTITY:
        for q in range(n):
            gf[q] = df[q]
    elif code == SQUARE:
        two = like(Z, 2.0)
        for q in range(n):
            gf[q] = df[q] * two * zf[q]
    elif code == SIN:
        for q in range(n):
            gf[q] = df[q] * zf[q]  # the forward pass left cos z in Z
    elif code == ABS:
        for q in range(n):
            z = zf[q]
            gf[q] = df[q] * (one if z > zero else (-one if z < zero else z))
    elif code == SIGN:
        for q in range(n):
            gf[q] = zero  # np.zeros_like(g): not even a NaN gets through
    elif code == SWISH:
        for q in range(n):
            z = zf[q]
            s = _sigmoid(z)
            gf[q] = df[q] * (s * (one + z * (one - s)))
    elif code == ELU:
        for q in range(n):
            gf[q] = df[q] * (one if zf[q] > zero else hf[q] + one)
    elif code == SOFTPLUS:
        twenty = like(Z, 20.0)
        for q in range(n):
            z = zf[q]
            gf[q] = df[q] * (one if z > twenty else _sigmoid(z))
    else:  # LEAKY_RELU
        slope = like(Z, 0.01)
        for q in range(n):
            gf[q] = df[q] * (one if zf[q] > zero else slope)


@njit(**_JIT)
def _add_skip(dst, d0, src, s0, rows, L):
    """``dst[d0 + r] += src[s0 + r]`` for rows ``r = 0 .. rows`` (a residual connection): one flat loop over
    slices from 0, as :func:`_activate` writes it so that it vectorises."""
    n = rows * L
    df = dst.reshape(dst.size)[d0 * L:d0 * L + n]
    sf = src.reshape(src.size)[s0 * L:s0 * L + n]
    for q in range(n):
        df[q] = df[q] + sf[q]


@njit(**_JIT)
def _dense(inp, i0, th, woff, boff, Z, z0, B, fi, fo, L):
    """``Z[z0 + b*fo + j] = sum_i inp[i0 + b*fi + i] W[i, j] + b[j]`` (the sum in order of i, then the bias).

    Each sum of a vector of lanes is held in a register (``vload`` ... ``vstore``): the first input's
    product, then each further input's product added in order of i, then the bias, as NumPy's
    ``x @ W + b`` on one member (``0 + x w`` is ``x w`` exactly, so no zero is added first). A tile of
    four examples by two outputs advances together: eight independent chains of adds (one chain waits on
    each add's latency), each input's load shared by two outputs and each weight's by four examples
    (six loads for eight multiply-adds). The examples and outputs left over take four chains at a time.
    """
    V = vlanes(th)
    jp = fo - fo % 2  # outputs in pairs; an odd last one is done after, eight examples at a time
    b = 0
    while b + 4 <= B:
        x0, x1, x2, x3 = i0 + b * fi, i0 + (b + 1) * fi, i0 + (b + 2) * fi, i0 + (b + 3) * fi
        z = z0 + b * fo
        j = 0
        while j + 2 <= jp:
            for p in range(0, L, V):
                w = vload(th, woff + j, p)
                u = vload(th, woff + j + 1, p)
                x = vload(inp, x0, p)
                a0 = vmul(x, w)
                c0 = vmul(x, u)
                x = vload(inp, x1, p)
                a1 = vmul(x, w)
                c1 = vmul(x, u)
                x = vload(inp, x2, p)
                a2 = vmul(x, w)
                c2 = vmul(x, u)
                x = vload(inp, x3, p)
                a3 = vmul(x, w)
                c3 = vmul(x, u)
                for i in range(1, fi):
                    r = woff + i * fo + j
                    w = vload(th, r, p)
                    u = vload(th, r + 1, p)
                    x = vload(inp, x0 + i, p)
                    a0 = vadd(a0, vmul(x, w))
                    c0 = vadd(c0, vmul(x, u))
                    x = vload(inp, x1 + i, p)
                    a1 = vadd(a1, vmul(x, w))
                    c1 = vadd(c1, vmul(x, u))
                    x = vload(inp, x2 + i, p)
                    a2 = vadd(a2, vmul(x, w))
                    c2 = vadd(c2, vmul(x, u))
                    x = vload(inp, x3 + i, p)
                    a3 = vadd(a3, vmul(x, w))
                    c3 = vadd(c3, vmul(x, u))
                w = vload(th, boff + j, p)
                u = vload(th, boff + j + 1, p)
                vstore(Z, z + j, p, vadd(a0, w))
                vstore(Z, z + j + 1, p, vadd(c0, u))
                vstore(Z, z + fo + j, p, vadd(a1, w))
                vstore(Z, z + fo + j + 1, p, vadd(c1, u))
                vstore(Z, z + 2 * fo + j, p, vadd(a2, w))
                vstore(Z, z + 2 * fo + j + 1, p, vadd(c2, u))
                vstore(Z, z + 3 * fo + j, p, vadd(a3, w))
                vstore(Z, z + 3 * fo + j + 1, p, vadd(c3, u))
            j += 2
        b += 4
    while b < B:  # the examples left over: four outputs at a time, then one
        x0 = i0 + b * fi
        z = z0 + b * fo
        j = 0
        while j + 4 <= jp:
            for p in range(0, L, V):
                x = vload(inp, x0, p)
                a0 = vmul(x, vload(th, woff + j, p))
                a1 = vmul(x, vload(th, woff + j + 1, p))
                a2 = vmul(x, vload(th, woff + j + 2, p))
                a3 = vmul(x, vload(th, woff + j + 3, p))
                for i in range(1, fi):
                    r = woff + i * fo + j
                    x = vload(inp, x0 + i, p)
                    a0 = vadd(a0, vmul(x, vload(th, r, p)))
                    a1 = vadd(a1, vmul(x, vload(th, r + 1, p)))
                    a2 = vadd(a2, vmul(x, vload(th, r + 2, p)))
                    a3 = vadd(a3, vmul(x, vload(th, r + 3, p)))
                vstore(Z, z + j, p, vadd(a0, vload(th, boff + j, p)))
                vstore(Z, z + j + 1, p, vadd(a1, vload(th, boff + j + 1, p)))
                vstore(Z, z + j + 2, p, vadd(a2, vload(th, boff + j + 2, p)))
                vstore(Z, z + j + 3, p, vadd(a3, vload(th, boff + j + 3, p)))
            j += 4
        while j < jp:
            for p in range(0, L, V):
                acc = vmul(vload(inp, x0, p), vload(th, woff + j, p))
                for i in range(1, fi):
                    acc = vadd(acc, vmul(vload(inp, x0 + i, p), vload(th, woff + i * fo + j, p)))
                vstore(Z, z + j, p, vadd(acc, vload(th, boff + j, p)))
            j += 1
        b += 1
    if jp < fo:
        j = jp
        b = 0
        while b + 8 <= B:
            x0 = i0 + b * fi
            z = z0 + b * fo + j
            for p in range(0, L, V):
                w = vload(th, woff + j, p)
                a0 = vmul(vload(inp, x0, p), w)
                a1 = vmul(vload(inp, x0 + fi, p), w)
                a2 = vmul(vload(inp, x0 + 2 * fi, p), w)
                a3 = vmul(vload(inp, x0 + 3 * fi, p), w)
                a4 = vmul(vload(inp, x0 + 4 * fi, p), w)
                a5 = vmul(vload(inp, x0 + 5 * fi, p), w)
                a6 = vmul(vload(inp, x0 + 6 * fi, p), w)
                a7 = vmul(vload(inp, x0 + 7 * fi, p), w)
                for i in range(1, fi):
                    w = vload(th, woff + i * fo + j, p)
                    x = x0 + i
                    a0 = vadd(a0, vmul(vload(inp, x, p), w))
                    a1 = vadd(a1, vmul(vload(inp, x + fi, p), w))
                    a2 = vadd(a2, vmul(vload(inp, x + 2 * fi, p), w))
                    a3 = vadd(a3, vmul(vload(inp, x + 3 * fi, p), w))
                    a4 = vadd(a4, vmul(vload(inp, x + 4 * fi, p), w))
                    a5 = vadd(a5, vmul(vload(inp, x + 5 * fi, p), w))
                    a6 = vadd(a6, vmul(vload(inp, x + 6 * fi, p), w))
                    a7 = vadd(a7, vmul(vload(inp, x + 7 * fi, p), w))
                w = vload(th, boff + j, p)
                vstore(Z, z, p, vadd(a0, w))
                vstore(Z, z + fo, p, vadd(a1, w))
                vstore(Z, z + 2 * fo, p, vadd(a2, w))
                vstore(Z, z + 3 * fo, p, vadd(a3, w))
                vstore(Z, z + 4 * fo, p, vadd(a4, w))
                vstore(Z, z + 5 * fo, p, vadd(a5, w))
                vstore(Z, z + 6 * fo, p, vadd(a6, w))
                vstore(Z, z + 7 * fo, p, vadd(a7, w))
            b += 8
        while b < B:
            x0 = i0 + b * fi
            for p in range(0, L, V):
                acc = vmul(vload(inp, x0, p), vload(th, woff + j, p))
                for i in range(1, fi):
                    acc = vadd(acc, vmul(vload(inp, x0 + i, p), vload(th, woff + i * fo + j, p)))
                vstore(Z, z0 + b * fo + j, p, vadd(acc, vload(th, boff + j, p)))
            b += 1


#: Examples per chunk of the weight gradients' main tiles (see :func:`_dense_backward`).
CHUNK = 16


@njit(**_JIT)
def _add_products(acc_arr, acc_row, x, x0, x_step, y, y0, y_step, n, L):
    """``acc_arr[acc_row] += x[x0] y[y0] + x[x0 + x_step] y[y0 + y_step] + ...`` (n terms added in order)
    on every lane: one sum on its own, as :func:`_dense_backward` takes the weights left after its tiles.
    Four vectors of lanes advance together (then one): a single chain of adds would wait on each add."""
    V = vlanes(acc_arr)
    p = 0
    while p + 4 * V <= L:
        a0 = vload(acc_arr, acc_row, p)
        a1 = vload(acc_arr, acc_row, p + V)
        a2 = vload(acc_arr, acc_row, p + 2 * V)
        a3 = vload(acc_arr, acc_row, p + 3 * V)
        for t in range(n):
            xr, yr = x0 + t * x_step, y0 + t * y_step
            a0 = vadd(a0, vmul(vload(x, xr, p), vload(y, yr, p)))
            a1 = vadd(a1, vmul(vload(x, xr, p + V), vload(y, yr, p + V)))
            a2 = vadd(a2, vmul(vload(x, xr, p + 2 * V), vload(y, yr, p + 2 * V)))
            a3 = vadd(a3, vmul(vload(x, xr, p + 3 * V), vload(y, yr, p + 3 * V)))
        vstore(acc_arr, acc_row, p, a0)
        vstore(acc_arr, acc_row, p + V, a1)
        vstore(acc_arr, acc_row, p + 2 * V, a2)
        vstore(acc_arr, acc_row, p + 3 * V, a3)
        p += 4 * V
    while p < L:
        acc = vload(acc_arr, acc_row, p)
        for t in range(n):
            acc = vadd(acc, vmul(vload(x, x0 + t * x_step, p), vload(y, y0 + t * y_step, p)))
        vstore(acc_arr, acc_row, p, acc)
        p += V


@njit(**_JIT)
def _add_rows(acc_arr, acc_row, y, y0, y_step, n, L):
    """``acc_arr[acc_row] += y[y0] + y[y0 + y_step] + ...`` (n terms in order) on every lane, four vectors
    of lanes at a time (see :func:`_add_products`)."""
    V = vlanes(acc_arr)
    p = 0
    while p + 4 * V <= L:
        a0 = vload(acc_arr, acc_row, p)
        a1 = vload(acc_arr, acc_row, p + V)
        a2 = vload(acc_arr, acc_row, p + 2 * V)
        a3 = vload(acc_arr, acc_row, p + 3 * V)
        for t in range(n):
            yr = y0 + t * y_step
            a0 = vadd(a0, vload(y, yr, p))
            a1 = vadd(a1, vload(y, yr, p + V))
            a2 = vadd(a2, vload(y, yr, p + 2 * V))
            a3 = vadd(a3, vload(y, yr, p + 3 * V))
        vstore(acc_arr, acc_row, p, a0)
        vstore(acc_arr, acc_row, p + V, a1)
        vstore(acc_arr, acc_row, p + 2 * V, a2)
        vstore(acc_arr, acc_row, p + 3 * V, a3)
        p += 4 * V
    while p < L:
        acc = vload(acc_arr, acc_row, p)
        for t in range(n):
            acc = vadd(acc, vload(y, y0 + t * y_step, p))
        vstore(acc_arr, acc_row, p, acc)
        p += V


@njit(**_JIT)
def _dense_backward(inp, i0, th, woff, boff, G, D, grad, B, fi, fo, L, want_input_grad):
    """Add ``inp^T G`` to W's gradient and ``sum_b G`` to b's; ``D = G W^T`` when ``want_input_grad``.

    ``inp`` rows start at ``i0``; ``D`` has the same rows as the input, from 0. Every gradient adds the
    examples' terms to what it holds in order of b (a shared weight: after the later layer's), and
    ``D[b, i]`` sums its outputs' terms from zero in order of j, as the per-example loops did; each sum
    is held in a register. Tiles of eight sums share their loads: the weights of two inputs by four
    outputs (two input loads and four gradient loads for eight multiply-adds; four inputs by two outputs
    where fewer than four outputs are left), the input gradients of two examples by four inputs; what is
    left over takes four sums at a time, then one.
    """
    V = vlanes(th)
    # biases: eight outputs at a time (eight chains of adds), then four, then one
    j = 0
    while j + 8 <= fo:
        for p in range(0, L, V):
            a0 = vload(grad, boff + j, p)
            a1 = vload(grad, boff + j + 1, p)
            a2 = vload(grad, boff + j + 2, p)
            a3 = vload(grad, boff + j + 3, p)
            a4 = vload(grad, boff + j + 4, p)
            a5 = vload(grad, boff + j + 5, p)
            a6 = vload(grad, boff + j + 6, p)
            a7 = vload(grad, boff + j + 7, p)
            for b in range(B):
                g = b * fo + j
                a0 = vadd(a0, vload(G, g, p))
                a1 = vadd(a1, vload(G, g + 1, p))
                a2 = vadd(a2, vload(G, g + 2, p))
                a3 = vadd(a3, vload(G, g + 3, p))
                a4 = vadd(a4, vload(G, g + 4, p))
                a5 = vadd(a5, vload(G, g + 5, p))
                a6 = vadd(a6, vload(G, g + 6, p))
                a7 = vadd(a7, vload(G, g + 7, p))
            vstore(grad, boff + j, p, a0)
            vstore(grad, boff + j + 1, p, a1)
            vstore(grad, boff + j + 2, p, a2)
            vstore(grad, boff + j + 3, p, a3)
            vstore(grad, boff + j + 4, p, a4)
            vstore(grad, boff + j + 5, p, a5)
            vstore(grad, boff + j + 6, p, a6)
            vstore(grad, boff + j + 7, p, a7)
        j += 8
    while j + 4 <= fo:
        for p in range(0, L, V):
            a0 = vload(grad, boff + j, p)
            a1 = vload(grad, boff + j + 1, p)
            a2 = vload(grad, boff + j + 2, p)
            a3 = vload(grad, boff + j + 3, p)
            for b in range(B):
                g = b * fo + j
                a0 = vadd(a0, vload(G, g, p))
                a1 = vadd(a1, vload(G, g + 1, p))
                a2 = vadd(a2, vload(G, g + 2, p))
                a3 = vadd(a3, vload(G, g + 3, p))
            vstore(grad, boff + j, p, a0)
            vstore(grad, boff + j + 1, p, a1)
            vstore(grad, boff + j + 2, p, a2)
            vstore(grad, boff + j + 3, p, a3)
        j += 4
    while j < fo:
        _add_rows(grad, boff + j, G, j, fo, B, L)
        j += 1
    # weights (row w = i * fo + j): tiles of two inputs by four outputs, over chunks of examples (each
    # weight still adds them in order of b) small enough that a chunk's rows of the inputs and of four
    # outputs' gradients stay in the L1 cache while the tiles pass (at batch 64 the whole layer did not:
    # a quarter slower)
    jq = fo - fo % 4
    for b0 in range(0, B, CHUNK):
        b1 = min(B, b0 + CHUNK)
        for j in range(0, jq, 4):
            i = 0
            while i + 2 <= fi:
                r0 = woff + i * fo
                r1 = r0 + fo
                for p in range(0, L, V):
                    a0 = vload(grad, r0 + j, p)
                    a1 = vload(grad, r0 + j + 1, p)
                    a2 = vload(grad, r0 + j + 2, p)
                    a3 = vload(grad, r0 + j + 3, p)
                    c0 = vload(grad, r1 + j, p)
                    c1 = vload(grad, r1 + j + 1, p)
                    c2 = vload(grad, r1 + j + 2, p)
                    c3 = vload(grad, r1 + j + 3, p)
                    for b in range(b0, b1):
                        x = vload(inp, i0 + b * fi + i, p)
                        y = vload(inp, i0 + b * fi + i + 1, p)
                        g = b * fo + j
                        gv = vload(G, g, p)
                        a0 = vadd(a0, vmul(x, gv))
                        c0 = vadd(c0, vmul(y, gv))
                        gv = vload(G, g + 1, p)
                        a1 = vadd(a1, vmul(x, gv))
                        c1 = vadd(c1, vmul(y, gv))
                        gv = vload(G, g + 2, p)
                        a2 = vadd(a2, vmul(x, gv))
                        c2 = vadd(c2, vmul(y, gv))
                        gv = vload(G, g + 3, p)
                        a3 = vadd(a3, vmul(x, gv))
                        c3 = vadd(c3, vmul(y, gv))
                    vstore(grad, r0 + j, p, a0)
                    vstore(grad, r0 + j + 1, p, a1)
                    vstore(grad, r0 + j + 2, p, a2)
                    vstore(grad, r0 + j + 3, p, a3)
                    vstore(grad, r1 + j, p, c0)
                    vstore(grad, r1 + j + 1, p, c1)
                    vstore(grad, r1 + j + 2, p, c2)
                    vstore(grad, r1 + j + 3, p, c3)
                i += 2
    i = fi - fi % 2
    if i < fi:  # the last input of an odd count: eight outputs at a time, then four
        wr = woff + i * fo
        j = 0
        while j + 8 <= jq:
            for p in range(0, L, V):
                a0 = vload(grad, wr + j, p)
                a1 = vload(grad, wr + j + 1, p)
                a2 = vload(grad, wr + j + 2, p)
                a3 = vload(grad, wr + j + 3, p)
                a4 = vload(grad, wr + j + 4, p)
                a5 = vload(grad, wr + j + 5, p)
                a6 = vload(grad, wr + j + 6, p)
                a7 = vload(grad, wr + j + 7, p)
                for b in range(B):
                    x = vload(inp, i0 + b * fi + i, p)
                    g = b * fo + j
                    a0 = vadd(a0, vmul(x, vload(G, g, p)))
                    a1 = vadd(a1, vmul(x, vload(G, g + 1, p)))
                    a2 = vadd(a2, vmul(x, vload(G, g + 2, p)))
                    a3 = vadd(a3, vmul(x, vload(G, g + 3, p)))
                    a4 = vadd(a4, vmul(x, vload(G, g + 4, p)))
                    a5 = vadd(a5, vmul(x, vload(G, g + 5, p)))
                    a6 = vadd(a6, vmul(x, vload(G, g + 6, p)))
                    a7 = vadd(a7, vmul(x, vload(G, g + 7, p)))
                vstore(grad, wr + j, p, a0)
                vstore(grad, wr + j + 1, p, a1)
                vstore(grad, wr + j + 2, p, a2)
                vstore(grad, wr + j + 3, p, a3)
                vstore(grad, wr + j + 4, p, a4)
                vstore(grad, wr + j + 5, p, a5)
                vstore(grad, wr + j + 6, p, a6)
                vstore(grad, wr + j + 7, p, a7)
            j += 8
        while j < jq:
            for p in range(0, L, V):
                a0 = vload(grad, wr + j, p)
                a1 = vload(grad, wr + j + 1, p)
                a2 = vload(grad, wr + j + 2, p)
                a3 = vload(grad, wr + j + 3, p)
                for b in range(B):
                    x = vload(inp, i0 + b * fi + i, p)
                    g = b * fo + j
                    a0 = vadd(a0, vmul(x, vload(G, g, p)))
                    a1 = vadd(a1, vmul(x, vload(G, g + 1, p)))
                    a2 = vadd(a2, vmul(x, vload(G, g + 2, p)))
                    a3 = vadd(a3, vmul(x, vload(G, g + 3, p)))
                vstore(grad, wr + j, p, a0)
                vstore(grad, wr + j + 1, p, a1)
                vstore(grad, wr + j + 2, p, a2)
                vstore(grad, wr + j + 3, p, a3)
            j += 4
    # the outputs left over (fo % 4): a pair, then one, four inputs at a time
    j = jq
    if j + 2 <= fo:
        i = 0
        while i + 4 <= fi:
            r = woff + i * fo + j
            for p in range(0, L, V):
                a0 = vload(grad, r, p)
                a1 = vload(grad, r + fo, p)
                a2 = vload(grad, r + 2 * fo, p)
                a3 = vload(grad, r + 3 * fo, p)
                c0 = vload(grad, r + 1, p)
                c1 = vload(grad, r + fo + 1, p)
                c2 = vload(grad, r + 2 * fo + 1, p)
                c3 = vload(grad, r + 3 * fo + 1, p)
                for b in range(B):
                    x = i0 + b * fi + i
                    g = b * fo + j
                    gv = vload(G, g, p)
                    gu = vload(G, g + 1, p)
                    xv = vload(inp, x, p)
                    a0 = vadd(a0, vmul(xv, gv))
                    c0 = vadd(c0, vmul(xv, gu))
                    xv = vload(inp, x + 1, p)
                    a1 = vadd(a1, vmul(xv, gv))
                    c1 = vadd(c1, vmul(xv, gu))
                    xv = vload(inp, x + 2, p)
                    a2 = vadd(a2, vmul(xv, gv))
                    c2 = vadd(c2, vmul(xv, gu))
                    xv = vload(inp, x + 3, p)
                    a3 = vadd(a3, vmul(xv, gv))
                    c3 = vadd(c3, vmul(xv, gu))
                vstore(grad, r, p, a0)
                vstore(grad, r + fo, p, a1)
                vstore(grad, r + 2 * fo, p, a2)
                vstore(grad, r + 3 * fo, p, a3)
                vstore(grad, r + 1, p, c0)
                vstore(grad, r + fo + 1, p, c1)
                vstore(grad, r + 2 * fo + 1, p, c2)
                vstore(grad, r + 3 * fo + 1, p, c3)
            i += 4
        while i < fi:
            r = woff + i * fo + j
            _add_products(grad, r, inp, i0 + i, fi, G, j, fo, B, L)
            _add_products(grad, r + 1, inp, i0 + i, fi, G, j + 1, fo, B, L)
            i += 1
        j += 2
    if j < fo:
        i = 0
        while i + 8 <= fi:
            r = woff + i * fo + j
            for p in range(0, L, V):
                a0 = vload(grad, r, p)
                a1 = vload(grad, r + fo, p)
                a2 = vload(grad, r + 2 * fo, p)
                a3 = vload(grad, r + 3 * fo, p)
                a4 = vload(grad, r + 4 * fo, p)
                a5 = vload(grad, r + 5 * fo, p)
                a6 = vload(grad, r + 6 * fo, p)
                a7 = vload(grad, r + 7 * fo, p)
                for b in range(B):
                    x = i0 + b * fi + i
                    gv = vload(G, b * fo + j, p)
                    a0 = vadd(a0, vmul(vload(inp, x, p), gv))
                    a1 = vadd(a1, vmul(vload(inp, x + 1, p), gv))
                    a2 = vadd(a2, vmul(vload(inp, x + 2, p), gv))
                    a3 = vadd(a3, vmul(vload(inp, x + 3, p), gv))
                    a4 = vadd(a4, vmul(vload(inp, x + 4, p), gv))
                    a5 = vadd(a5, vmul(vload(inp, x + 5, p), gv))
                    a6 = vadd(a6, vmul(vload(inp, x + 6, p), gv))
                    a7 = vadd(a7, vmul(vload(inp, x + 7, p), gv))
                vstore(grad, r, p, a0)
                vstore(grad, r + fo, p, a1)
                vstore(grad, r + 2 * fo, p, a2)
                vstore(grad, r + 3 * fo, p, a3)
                vstore(grad, r + 4 * fo, p, a4)
                vstore(grad, r + 5 * fo, p, a5)
                vstore(grad, r + 6 * fo, p, a6)
                vstore(grad, r + 7 * fo, p, a7)
            i += 8
        while i + 4 <= fi:
            r = woff + i * fo + j
            for p in range(0, L, V):
                a0 = vload(grad, r, p)
                a1 = vload(grad, r + fo, p)
                a2 = vload(grad, r + 2 * fo, p)
                a3 = vload(grad, r + 3 * fo, p)
                for b in range(B):
                    x = i0 + b * fi + i
                    gv = vload(G, b * fo + j, p)
                    a0 = vadd(a0, vmul(vload(inp, x, p), gv))
                    a1 = vadd(a1, vmul(vload(inp, x + 1, p), gv))
                    a2 = vadd(a2, vmul(vload(inp, x + 2, p), gv))
                    a3 = vadd(a3, vmul(vload(inp, x + 3, p), gv))
                vstore(grad, r, p, a0)
                vstore(grad, r + fo, p, a1)
                vstore(grad, r + 2 * fo, p, a2)
                vstore(grad, r + 3 * fo, p, a3)
            i += 4
        while i < fi:
            r = woff + i * fo + j
            _add_products(grad, r, inp, i0 + i, fi, G, j, fo, B, L)
            i += 1
    if want_input_grad:
        # D[b, i] sums from zero in order of j: tiles of two examples by four inputs (each weight's load
        # shared by the two examples, each gradient's by the four inputs), then one example by four
        # inputs; with fewer than four inputs four consecutive rows (q = b * fi + i) at a time
        if fi >= 4:
            i = 0
            while i + 4 <= fi:  # inputs outside, so that their four weight rows stay in the L1 cache
                w0 = woff + i * fo
                b = 0
                while b + 2 <= B:
                    gr = b * fo
                    gs = gr + fo
                    for p in range(0, L, V):
                        a0 = vzero(D)
                        a1 = vzero(D)
                        a2 = vzero(D)
                        a3 = vzero(D)
                        c0 = vzero(D)
                        c1 = vzero(D)
                        c2 = vzero(D)
                        c3 = vzero(D)
                        for j in range(fo):
                            w = vload(th, w0 + j, p)
                            u = vload(th, w0 + fo + j, p)
                            s = vload(th, w0 + 2 * fo + j, p)
                            t = vload(th, w0 + 3 * fo + j, p)
                            g = vload(G, gr + j, p)
                            a0 = vadd(a0, vmul(g, w))
                            a1 = vadd(a1, vmul(g, u))
                            a2 = vadd(a2, vmul(g, s))
                            a3 = vadd(a3, vmul(g, t))
                            g = vload(G, gs + j, p)
                            c0 = vadd(c0, vmul(g, w))
                            c1 = vadd(c1, vmul(g, u))
                            c2 = vadd(c2, vmul(g, s))
                            c3 = vadd(c3, vmul(g, t))
                        d = b * fi + i
                        vstore(D, d, p, a0)
                        vstore(D, d + 1, p, a1)
                        vstore(D, d + 2, p, a2)
                        vstore(D, d + 3, p, a3)
                        vstore(D, d + fi, p, c0)
                        vstore(D, d + fi + 1, p, c1)
                        vstore(D, d + fi + 2, p, c2)
                        vstore(D, d + fi + 3, p, c3)
                    b += 2
                if b < B:  # the last example of an odd count
                    gr = b * fo
                    for p in range(0, L, V):
                        a0 = vzero(D)
                        a1 = vzero(D)
                        a2 = vzero(D)
                        a3 = vzero(D)
                        for j in range(fo):
                            g = vload(G, gr + j, p)
                            a0 = vadd(a0, vmul(g, vload(th, w0 + j, p)))
                            a1 = vadd(a1, vmul(g, vload(th, w0 + fo + j, p)))
                            a2 = vadd(a2, vmul(g, vload(th, w0 + 2 * fo + j, p)))
                            a3 = vadd(a3, vmul(g, vload(th, w0 + 3 * fo + j, p)))
                        vstore(D, b * fi + i, p, a0)
                        vstore(D, b * fi + i + 1, p, a1)
                        vstore(D, b * fi + i + 2, p, a2)
                        vstore(D, b * fi + i + 3, p, a3)
                i += 4
            while i < fi:  # the inputs left over: two examples at a time, then one
                w0 = woff + i * fo
                b = 0
                while b + 2 <= B:
                    gr = b * fo
                    for p in range(0, L, V):
                        a0 = vzero(D)
                        c0 = vzero(D)
                        for j in range(fo):
                            w = vload(th, w0 + j, p)
                            a0 = vadd(a0, vmul(vload(G, gr + j, p), w))
                            c0 = vadd(c0, vmul(vload(G, gr + fo + j, p), w))
                        vstore(D, b * fi + i, p, a0)
                        vstore(D, (b + 1) * fi + i, p, c0)
                    b += 2
                if b < B:
                    for p in range(0, L, V):
                        acc = vzero(D)
                        for j in range(fo):
                            acc = vadd(acc, vmul(vload(G, b * fo + j, p), vload(th, w0 + j, p)))
                        vstore(D, b * fi + i, p, acc)
                i += 1
        else:
            n_q = B * fi
            q = 0
            while q + 4 <= n_q:
                ga, gb, gc, gd = (q // fi) * fo, ((q + 1) // fi) * fo, ((q + 2) // fi) * fo, ((q + 3) // fi) * fo
                wa, wb, wc, wd = (woff + (q % fi) * fo, woff + ((q + 1) % fi) * fo, woff + ((q + 2) % fi) * fo,
                                  woff + ((q + 3) % fi) * fo)
                for p in range(0, L, V):
                    a0 = vzero(D)
                    a1 = vzero(D)
                    a2 = vzero(D)
                    a3 = vzero(D)
                    for j in range(fo):
                        a0 = vadd(a0, vmul(vload(G, ga + j, p), vload(th, wa + j, p)))
                        a1 = vadd(a1, vmul(vload(G, gb + j, p), vload(th, wb + j, p)))
                        a2 = vadd(a2, vmul(vload(G, gc + j, p), vload(th, wc + j, p)))
                        a3 = vadd(a3, vmul(vload(G, gd + j, p), vload(th, wd + j, p)))
                    vstore(D, q, p, a0)
                    vstore(D, q + 1, p, a1)
                    vstore(D, q + 2, p, a2)
                    vstore(D, q + 3, p, a3)
                q += 4
            while q < n_q:
                g0, w0 = (q // fi) * fo, woff + (q % fi) * fo
                for p in range(0, L, V):
                    acc = vzero(D)
                    for j in range(fo):
                        acc = vadd(acc, vmul(vload(G, g0 + j, p), vload(th, w0 + j, p)))
                    vstore(D, q, p, acc)
                q += 1


@njit(**_JIT)
def _elementwise(op, d, one, zero, scale):
    """``(value, gradient)`` of one output's error ``d`` for the LOGIT_MSE / LOGIT_MAE / LOGIT_FOURTH_POWER
    op, the gradient times ``scale`` (the mean's ``1 / (K B)``, times 2 or 4 for the powers)."""
    if op == LOGIT_MSE:
        return d * d, d * scale
    if op == LOGIT_MAE:
        # torch's abs backward multiplies by sgn(d): 0 at the kink d == 0 (and for NaN)
        return abs(d), (one if d > zero else (-one if d < zero else zero)) * scale
    d2 = d * d
    return d2 * d2, (d2 * d) * scale


@njit(**_JIT)
def _raw_output_loss(kind, Z, z0, yl, yr, B, K, G, loss, L):
    """The losses on raw outputs other than MSE regression: mean over examples and outputs into ``loss``.

    ``LOGIT_*``, ``HINGE`` and ``CONSTANT`` compare with one-hot labels ``yl`` (hinge with +-1), the
    ``*_REGRESSION`` codes with the float targets ``yr``, as ``atomlab.nn.losses`` does.
    """
    zero, one = like(Z, 0.0), like(Z, 1.0)
    regression = kind >= MAE_REGRESSION
    if kind == MAE_REGRESSION:
        op = LOGIT_MAE
    elif kind == FOURTH_POWER_REGRESSION:
        op = LOGIT_FOURTH_POWER
    elif kind == HINGE_REGRESSION:
        op = HINGE
    elif kind == CONSTANT_REGRESSION:
        op = CONSTANT
    else:
        op = kind
    mean = like(Z, 1.0 / (K * B))
    scale = like(Z, 2.0 / (K * B)) if op == LOGIT_MSE else (like(Z, 4.0 / (K * B)) if op == LOGIT_FOURTH_POWER
                                                            else mean)
    for b in range(B):
        for k in range(K):
            r = b * K + k
            if op == CONSTANT:
                # ``(output * 0).sum(-1)``: zero, NaN where an output is not finite; the gradient is exactly 0
                for p in range(L):
                    loss[p] += Z[z0 + r, p] * zero
                    G[r, p] = zero
            elif op == HINGE:
                for p in range(L):
                    if regression:
                        t = yr[r, p]
                    else:
                        t = one if k == yl[b, p] else -one
                    margin = one - t * Z[z0 + r, p]
                    loss[p] += margin if (margin > zero or margin != margin) else zero  # relu keeps NaN
                    # torch's relu backward passes the gradient where the output is not <= 0: 0 at the kink
                    G[r, p] = zero if margin <= zero else -(t * mean)
            elif regression:
                for p in range(L):
                    value, g = _elementwise(op, Z[z0 + r, p] - yr[r, p], one, zero, scale)
                    loss[p] += value
                    G[r, p] = g
            else:
                for p in range(L):
                    goal = one if k == yl[b, p] else zero
                    value, g = _elementwise(op, Z[z0 + r, p] - goal, one, zero, scale)
                    loss[p] += value
                    G[r, p] = g
    count = like(Z, B * K)
    for p in range(L):
        loss[p] = loss[p] / count


@njit(**_JIT)
def _output_loss(kind, Z, z0, yl, yr, B, K, G, loss, L):
    """Mean loss per lane into ``loss`` and d(loss)/d(logits) into ``G`` (rows ``b * K + k``).

    The losses on softmax probabilities (cross-entropy, padded cross-entropy, MSE, MAE, fourth power)
    shift the logits by their maximum, as fastpath_numpy does; MSE on raw outputs (regression) compares
    with ``yr``; the others on raw outputs are :func:`_raw_output_loss`'s.
    """
    zero, one = like(Z, 0.0), like(Z, 1.0)
    for p in range(L):
        loss[p] = zero
    if kind >= LOGIT_MSE:
        _raw_output_loss(kind, Z, z0, yl, yr, B, K, G, loss, L)
        return
    if kind == MSE_REGRESSION:
        scale = like(Z, 2.0 / (K * B))
        for b in range(B):
            for k in range(K):
                r = b * K + k
                for p in range(L):
                    diff = Z[z0 + r, p] - yr[r, p]
                    loss[p] += diff * diff
                    G[r, p] = diff * scale
        count = like(Z, B * K)
        for p in range(L):
            loss[p] = loss[p] / count
        return
    n = like(Z, B)
    two_over = like(Z, 2.0 / (K * B))
    two, minus_two, eps = like(Z, 2.0), like(Z, -2.0), like(Z, PADDED_CE_EPSILON)
    per_output = like(Z, 1.0 / (K * B)) if kind == MAE else like(Z, 4.0 / (K * B))  # the mean's, times 4 for d^4
    for b in range(B):
        zr = z0 + b * K
        gr = b * K
        for p in range(L):
            # Softmax of the shifted logits; the shifted logits go to G, then the probabilities.
            zmax = Z[zr, p]
            for k in range(1, K):
                zk = Z[zr + k, p]
                zmax = zk if (zk > zmax or zk != zk) else zmax  # np.maximum keeps NaN
            esum = zero
            for k in range(K):
                e = math.exp(Z[zr + k, p] - zmax)
                G[gr + k, p] = e
                esum += e
            y = yl[b, p]
            if kind == CROSS_ENTROPY:
                loss[p] += -((Z[zr + y, p] - zmax) - math.log(esum))
                for k in range(K):
                    G[gr + k, p] = G[gr + k, p] / esum
                G[gr + y, p] -= one
                for k in range(K):
                    G[gr + k, p] = G[gr + k, p] / n
            elif kind == MSE:  # on probabilities against one-hot targets, through the softmax's Jacobian
                dot = zero
                for k in range(K):
                    prob = G[gr + k, p] / esum
                    G[gr + k, p] = prob
                    diff = prob - one if k == y else prob
                    loss[p] += diff * diff
                    dot += (diff * two_over) * prob
                for k in range(K):
                    prob = G[gr + k, p]
                    diff = prob - one if k == y else prob
                    G[gr + k, p] = prob * (diff * two_over - dot)
            elif kind == PADDED_CROSS_ENTROPY:
                # -2 log(p_y + eps): d/dz_k = c (p_k - [k == y]) with c = 2 p_y / (p_y + eps), the
                # softmax's Jacobian p_y ([k == y] - p_k) times -2 / (p_y + eps)
                py = G[gr + y, p] / esum
                loss[p] += minus_two * math.log(py + eps)
                c = (two * py) / (py + eps)
                for k in range(K):
                    prob = G[gr + k, p] / esum
                    G[gr + k, p] = (c * (prob - one if k == y else prob)) / n
            else:  # MAE, FOURTH_POWER on probabilities: as MSE, through the softmax's Jacobian
                dot = zero
                for k in range(K):
                    prob = G[gr + k, p] / esum
                    G[gr + k, p] = prob
                    diff = prob - one if k == y else prob
                    value, g = _elementwise(LOGIT_MAE if kind == MAE else LOGIT_FOURTH_POWER, diff, one, zero,
                                            per_output)
                    loss[p] += value
                    dot += g * prob
                for k in range(K):
                    prob = G[gr + k, p]
                    diff = prob - one if k == y else prob
                    _, g = _elementwise(LOGIT_MAE if kind == MAE else LOGIT_FOURTH_POWER, diff, one, zero,
                                        per_output)
                    G[gr + k, p] = prob * (g - dot)
    if kind == CROSS_ENTROPY or kind == PADDED_CROSS_ENTROPY:
        for p in range(L):
            loss[p] = loss[p] / n
    else:
        count = like(Z, B * K)
        for p in range(L):
            loss[p] = loss[p] / count


@njit(**_JIT)
def _penalty(kind, th, grad, swoff, snumel, lam, loss, scratch, L):
    """Add ``lam`` times the weight penalty to the loss and its gradient to the weights' (not the biases').

    As fastpath_numpy: the penalty is summed over weight slots before ``lam`` multiplies it.
    """
    zero, one = like(th, 0.0), like(th, 1.0)
    total, slot = scratch[0], scratch[1]
    for p in range(L):
        total[p] = zero
    for s in range(swoff.shape[0]):
        w0, numel = swoff[s], snumel[s]
        for p in range(L):
            slot[p] = zero
        if kind == L2 or kind == L2_SUM:
            for r in range(w0, w0 + numel):
                for p in range(L):
                    slot[p] += th[r, p] * th[r, p]
        else:
            for r in range(w0, w0 + numel):
                for p in range(L):
                    slot[p] += abs(th[r, p])
        den = like(th, numel)
        for p in range(L):
            total[p] += slot[p] / den if (kind == L2 or kind == L1) else slot[p]
        if kind == L2:
            c2 = like(th, 2.0 / numel)
            for r in range(w0, w0 + numel):
                for p in range(L):
                    grad[r, p] = grad[r, p] + th[r, p] * (lam[p] * c2)
        elif kind == L2_SUM:
            two = like(th, 2.0)
            for r in range(w0, w0 + numel):
                for p in range(L):
                    grad[r, p] = grad[r, p] + th[r, p] * (lam[p] * two)
        else:
            for p in range(L):
                slot[p] = lam[p] / den if kind == L1 else lam[p]  # the sign's factor, per lane
            for r in range(w0, w0 + numel):
                for p in range(L):
                    w = th[r, p]
                    sign = one if w > zero else (-one if w < zero else w)
                    grad[r, p] = grad[r, p] + sign * slot[p]
    for p in range(L):
        loss[p] = loss[p] + lam[p] * total[p]


@njit(**_JIT)
def _update(opt, th, a, c, grad, lr, hyper, t, bc1, bc2, scratch, L):
    """One optimiser step over every parameter row, as fastpath_numpy's ``step`` (``t`` counts from 1)."""
    n_rows = th.shape[0]
    if opt == SGD:
        for r in range(n_rows):
            for p in range(L):
                th[r, p] -= lr[p] * grad[r, p]
    elif opt == MOMENTUM:
        mu = like(th, hyper[H_MOMENTUM])
        nesterov = hyper[H_NESTEROV] != 0.0
        for r in range(n_rows):
            for p in range(L):
                g = grad[r, p]
                if t == 1:
                    buf = g
                else:
                    buf = a[r, p] * mu + g
                a[r, p] = buf
                th[r, p] -= lr[p] * (g + mu * buf if nesterov else buf)
    elif opt == ADAM:
        one_m_b1 = like(th, 1.0 - hyper[H_BETA1])
        b2 = like(th, hyper[H_BETA2])
        one_m_b2 = like(th, 1.0 - hyper[H_BETA2])
        eps = like(th, hyper[H_EPS])
        f_bc1, f_bc2 = like(th, bc1), like(th, bc2)
        step_size = scratch[0]
        for p in range(L):
            step_size[p] = lr[p] / f_bc1  # (lr / (1 - b1^t)), per lane
        for r in range(n_rows):
            for p in range(L):
                g = grad[r, p]
                m = a[r, p] + (g - a[r, p]) * one_m_b1
                v = c[r, p] * b2 + one_m_b2 * g * g
                a[r, p] = m
                c[r, p] = v
                th[r, p] -= step_size[p] * (m / (math.sqrt(v) / f_bc2 + eps))
    elif opt == RMSPROP:
        alpha = like(th, hyper[H_ALPHA])
        one_m_alpha = like(th, 1.0 - hyper[H_ALPHA])
        eps = like(th, hyper[H_EPS])
        for r in range(n_rows):
            for p in range(L):
                g = grad[r, p]
                s = a[r, p] * alpha + one_m_alpha * g * g
                a[r, p] = s
                th[r, p] -= lr[p] * (g / (math.sqrt(s) + eps))
    else:  # ADAGRAD (its accumulator starts at initial_accumulator_value, set by the caller)
        eps = like(th, hyper[H_EPS])
        for r in range(n_rows):
            for p in range(L):
                g = grad[r, p]
                s = a[r, p] + g * g
                a[r, p] = s
                th[r, p] -= lr[p] * (g / (math.sqrt(s) + eps))


@njit(**_JIT)
def _gather(X, Yl, Yr, lane_data, idx, start, B, xb, yl, yr, regression, L):
    """Copy each lane's minibatch rows (``idx[lane, start:start+B]``) into the lane layout."""
    d = X.shape[2]
    K = Yr.shape[2]
    for p in range(L):
        q = lane_data[p]
        for b in range(B):
            row = idx[p, start + b]
            for i in range(d):
                xb[b * d + i, p] = X[q, row, i]
            if regression:
                for k in range(K):
                    yr[b * K + k, p] = Yr[q, row, k]
            else:
                yl[b, p] = Yl[q, row]


@njit(**_JIT)
def train_steps(theta, opt_a, opt_b, lr, lam, hyper, bc1, bc2, dims, slots_w, slots_b, swoff, snumel, zoff,
                residual, act, loss_kind, opt, penalty, X, Yl, Yr, lane_data, idx, starts, full, full_rows, xb, yl, yr,
                step0, n_steps, ceiling, diverged, Z, H, G, D, grad, loss, scratch):
    """Train every block of lanes for ``n_steps`` steps, the first being global step ``step0`` (from 1).

    Parameters (arrays end in the lane axis ``L``; ``block`` indexes groups of L lanes)
    ----------
    theta, opt_a, opt_b : [block, rows, L]
        Parameters and the optimiser's two state arrays (momentum buffer / Adam's m, v / accumulators).
    lr, lam : [block, L]
        Learning rate and penalty strength per lane.
    hyper : float64 array
        Optimiser hyper-parameters and the divergence factor (``H_*`` indices).
    bc1, bc2 : float64 [n_steps]
        Adam's ``1 - beta1^t`` and ``sqrt(1 - beta2^t)`` of each step (computed by the caller as NumPy does).
    dims, slots_w, slots_b, swoff, snumel, zoff : int64
        Layer widths, each layer's W and b rows, the distinct weight slots (first row, size) and each
        layer's first row in ``Z`` / ``H``.
    residual : int64 [layers]
        1 where a hidden layer adds its input to its pre-activation (a residual connection, 002's
        ``z = h W + b + h`` where the widths match), else 0; the output layer never does.
    act, loss_kind, opt, penalty : int
        The codes of the hidden activation, loss, optimiser and weight penalty.
    X, Yl, Yr : [members, n, d], [members, n], [members, n, K]
        Training data (one member's when shared); ``lane_data[block, lane]`` picks a lane's member.
    idx, starts : [block, L, m] int64, [n_steps + 1] int64
        Each lane's minibatch indices, step k using ``idx[..., starts[k]:starts[k+1]]`` (unused when ``full``).
    full, full_rows : bool, int
        Full batch: ``xb``, ``yl``, ``yr`` already hold the ``full_rows`` training rows in lane layout,
        per block; otherwise they are one block's workspace for the gathered minibatch.
    ceiling, diverged : [block, L]
        The divergence guard's ceiling (set at step 1) and the first diverged step (-1: none).
    Z, H, G, D, grad, loss, scratch : workspaces.
    """
    n_blocks = theta.shape[0]
    L = theta.shape[2]
    if L % vlanes(theta) != 0:  # the products take whole vectors of lanes (lane_blocks makes multiples of 8)
        raise ValueError("the lanes of a block must be a whole number of SIMD vectors")
    n_layers = dims.shape[0] - 1
    K = dims[n_layers]
    regression = loss_kind == MSE_REGRESSION or loss_kind >= MAE_REGRESSION
    factor = like(theta, hyper[H_DIVERGENCE])
    one = like(theta, 1.0)
    for blk in range(n_blocks):
        th, a, c = theta[blk], opt_a[blk], opt_b[blk]
        wb = blk if full else 0
        inp0, ylb, yrb = xb[wb], yl[wb], yr[wb]
        for k in range(n_steps):
            step = step0 + k
            if full:
                B = full_rows
            else:
                B = starts[k + 1] - starts[k]
                _gather(X, Yl, Yr, lane_data[blk], idx[blk], starts[k], B, inp0, ylb, yrb, regression, L)
            # forward
            for layer in range(n_layers):
                fi, fo = dims[layer], dims[layer + 1]
                if layer == 0:
                    _dense(inp0, 0, th, slots_w[layer], slots_b[layer], Z, zoff[layer], B, fi, fo, L)
                else:
                    _dense(H, zoff[layer - 1], th, slots_w[layer], slots_b[layer], Z, zoff[layer], B, fi, fo, L)
                if residual[layer] != 0:  # after the bias, as fastpath_numpy adds it: (h W + b) + h
                    if layer == 0:
                        _add_skip(Z, zoff[layer], inp0, 0, B * fo, L)
                    else:
                        _add_skip(Z, zoff[layer], H, zoff[layer - 1], B * fo, L)
                if layer < n_layers - 1:
                    _activate(act, Z, H, zoff[layer], B * fo, L)
            _output_loss(loss_kind, Z, zoff[n_layers - 1], ylb, yrb, B, K, G, loss, L)
            # backward: G holds d(loss)/dz of the layer, D its input's gradient
            grad.reshape(grad.size)[:] = 0
            for layer in range(n_layers - 1, -1, -1):
                fi, fo = dims[layer], dims[layer + 1]
                if layer == 0:
                    _dense_backward(inp0, 0, th, slots_w[layer], slots_b[layer], G, D, grad, B, fi, fo, L, False)
                else:
                    _dense_backward(H, zoff[layer - 1], th, slots_w[layer], slots_b[layer], G, D, grad, B, fi, fo,
                                    L, True)
                    if residual[layer] != 0:  # the gradient through the connection: G W^T + G
                        _add_skip(D, 0, G, 0, B * fi, L)
                    _activate_backward(act, D, Z, H, zoff[layer - 1], G, B * fi, L)
            if penalty != NO_PENALTY:
                _penalty(penalty, th, grad, swoff, snumel, lam[blk], loss, scratch, L)
            # the divergence guard: the first step whose loss is not finite or exceeds the ceiling
            for p in range(L):
                value = loss[p]
                if step == 1:
                    m = abs(value)
                    ceiling[blk, p] = factor * (m if (m > one or m != m) else one)
                if diverged[blk, p] < 0 and (not math.isfinite(value) or value > ceiling[blk, p]):
                    diverged[blk, p] = step
            _update(opt, th, a, c, grad, lr[blk], hyper, step, bc1[k], bc2[k], scratch, L)
