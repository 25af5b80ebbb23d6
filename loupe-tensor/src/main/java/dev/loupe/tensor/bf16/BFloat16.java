package dev.loupe.tensor.bf16;

/**
 * bfloat16 (Google Brain's 16-bit float: float32's sign and 8-bit exponent, 7 mantissa bits), held
 * as the upper 16 bits of a float32 in a {@code short}. Widening is exact (append 16 zero bits);
 * narrowing rounds to nearest, ties to even, as PyTorch's {@code tensor.to(torch.bfloat16)}
 * ({@code c10::BFloat16}'s {@code round_to_nearest_even}): NaN becomes the quiet NaN 0x7FC0 (torch's
 * vectorised conversion writes 0xFFFF instead, also a NaN), values beyond the largest bfloat16 round
 * to ±infinity.
 */
public final class BFloat16 {
    /** The quiet NaN c10::BFloat16 produces when narrowing any NaN. */
    public static final short NAN = (short) 0x7FC0;

    private BFloat16() {}

    /** The bfloat16 nearest to {@code f} (ties to even). */
    public static short fromFloat(float f) {
        if (Float.isNaN(f)) return NAN;
        int bits = Float.floatToRawIntBits(f);
        int lsb = (bits >>> 16) & 1;                          // ties go to the even neighbour
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** The float32 equal to the bfloat16 {@code b} (exact). */
    public static float toFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** {@code f} rounded to bfloat16 and widened back: the value a bfloat16 weight holds. */
    public static float round(float f) {
        return toFloat(fromFloat(f));
    }
}
