# TFLite's int8 arithmetic from its definitions, in exact rationals, for the tests that check
# systole against an independent implementation (included by tests/cli_quantized.rs and
# tests/cli_infer.rs). The doubling high multiply is a*b / 2^31 rounded to nearest with ties
# toward +infinity (gemmlowp's nudge and truncation give exactly that), the rounding shift rounds
# ties away from zero, int32 adds and the left shift wrap.
import math
from fractions import Fraction
def wrap32(v):
    return (v + 2**31) % 2**32 - 2**31
def srdhm(a, b):
    if a == -2**31 and b == -2**31:
        return 2**31 - 1
    return math.floor(Fraction(a * b, 2**31) + Fraction(1, 2))
def rdbpot(x, e):
    r = math.floor(abs(Fraction(x, 2**e)) + Fraction(1, 2))
    return r if x >= 0 else -r
def requant(acc, bias, m, s, zp, lo, hi):
    x = wrap32(acc + bias)
    if s > 0:
        x = wrap32(x * 2**s)
    y = rdbpot(srdhm(x, m), max(-s, 0))
    return min(max(wrap32(y + zp), lo), hi)
def quantize_multiplier(real):
    if real == 0:
        return 0, 0
    q, shift = math.frexp(real)
    fixed = math.floor(q * 2**31 + 0.5)
    if fixed == 2**31:
        fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        return 2**31 - 1, 30
    return fixed, shift
def s32(h):
    v = int(h, 16)
    return v - 2**32 if v >= 2**31 else v
def s8(h):
    v = int(h, 16)
    return v - 256 if v >= 128 else v
