package dev.loupe.tensor.bf16;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * bfloat16 narrowing rounds to nearest, ties to even, exactly as PyTorch's {@code .to(torch.bfloat16)}:
 * checked on hand-picked ties, NaN, overflow and subnormals, against the float64 definition (the
 * nearer of the two bfloat16 neighbours), and bit for bit against torch when /usr/bin/python3 has it
 * (NaN aside: any NaN on both sides).
 */
class BFloat16Test {
    private static short bf(float f) {
        return BFloat16.fromFloat(f);
    }

    private static float f(int bits) {
        return Float.intBitsToFloat(bits);
    }

    @Test
    void roundsHalfwayCasesToEven() {
        assertThat(bf(1f)).isEqualTo((short) 0x3F80);
        assertThat(bf(f(0x3F808000))).isEqualTo((short) 0x3F80);   // tie, 0x3F80 even: down
        assertThat(bf(f(0x3F818000))).isEqualTo((short) 0x3F82);   // tie, 0x3F81 odd: up to even
        assertThat(bf(f(0x3F808001))).isEqualTo((short) 0x3F81);   // just above the tie: up
        assertThat(bf(f(0x3F807FFF))).isEqualTo((short) 0x3F80);   // just below: down
        assertThat(bf(f(0xBF818000))).isEqualTo((short) 0xBF82);   // negative: same on the magnitude
        assertThat(bf(f(0x00008000))).isEqualTo((short) 0x0000);   // subnormal tie to even (zero)
        assertThat(bf(f(0x00018000))).isEqualTo((short) 0x0002);
        assertThat(bf(-0f)).isEqualTo((short) 0x8000);
    }

    @Test
    void nanBecomesTheQuietNanAndOverflowInfinity() {
        assertThat(bf(Float.NaN)).isEqualTo(BFloat16.NAN);
        assertThat(bf(f(0xFFC12345))).isEqualTo(BFloat16.NAN);                  // any NaN, sign dropped as torch does
        assertThat(bf(Float.MAX_VALUE)).isEqualTo((short) 0x7F80);               // beyond bf16's max: +inf
        assertThat(bf(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xFF80);
        assertThat(BFloat16.toFloat((short) 0x7F7F)).isEqualTo(f(0x7F7F0000));  // bf16's max, widened exactly
    }

    @Test
    void isTheNearestBfloat16AsFloat64Defines() {
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 200_000; i++) {
            float x = f(r.nextInt() & 0x7F7FFFFF | (r.nextBoolean() ? 0x80000000 : 0));   // finite, any sign
            int hi = Float.floatToRawIntBits(x) & 0xFFFF0000;
            double lo = f(hi), up = widen(hi + 0x10000);                                 // the two neighbours (truncated, next)
            double got = widen(Float.floatToRawIntBits(BFloat16.round(x)));
            double dGot = Math.abs(got - x), dBest = Math.min(Math.abs(lo - x), Math.abs(up - x));
            assertThat(dGot).as("x = %s", x).isEqualTo(dBest);                           // nearest (ties: either distance)
            assertThat(got == lo || got == up).isTrue();
        }
    }

    /** The float32 bits as a double, with infinity read as ±2^128 (the next power of two: IEEE overflow rounds to it). */
    private static double widen(int bits) {
        float v = f(bits);
        return Float.isInfinite(v) ? Math.copySign(Math.pow(2, 128), v) : v;
    }

    /**
     * Bit for bit against torch, except NaN: torch 1.13's vectorised conversion writes 0xFFFF for
     * NaN and its scalar one 0x7FC0 (c10::BFloat16), both NaN; Loupe always writes 0x7FC0.
     */
    @Test
    void matchesTorchBitForBit() throws Exception {
        Path python = Path.of(System.getenv().getOrDefault("LOUPE_PYTHON", "/usr/bin/python3"));
        Assumptions.assumeTrue(Files.isExecutable(python), "torch absent: skipped (no " + python + ")");
        SplittableRandom r = new SplittableRandom(5);
        int[] bits = new int[4000];
        for (int i = 0; i < bits.length; i++) {
            int b = r.nextInt();
            if (i % 4 == 0) b = (b & 0xFFFF0000) | 0x8000;          // exact ties
            if (i % 4 == 1) b = (b & 0xFFFF0000) | 0x7FFF | (r.nextBoolean() ? 0x8001 : 0);   // near ties
            bits[i] = b;
        }
        String script = "import sys, torch\n"
                + "v = torch.tensor([int(s) for s in sys.stdin.read().split()], dtype=torch.int32).view(torch.float32)\n"
                + "print(' '.join(str(int(x)) for x in v.to(torch.bfloat16).view(torch.int16)))\n";
        Process p = new ProcessBuilder(python.toString(), "-c", script).redirectErrorStream(true).start();
        p.getOutputStream().write(Arrays.stream(bits).mapToObj(Integer::toString).collect(Collectors.joining(" "))
                .getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        Assumptions.assumeTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "torch absent: skipped (" + out + ")");
        String[] torch = out.split("\\s+");
        assertThat(torch).hasSize(bits.length);
        for (int i = 0; i < bits.length; i++) {
            short expected = (short) Integer.parseInt(torch[i]);
            short got = BFloat16.fromFloat(f(bits[i]));
            if (Float.isNaN(f(bits[i]))) {
                assertThat(Float.isNaN(BFloat16.toFloat(expected)) && got == BFloat16.NAN).as("NaN %08x", bits[i]).isTrue();
            } else {
                assertThat(got).as("bits %08x", bits[i]).isEqualTo(expected);
            }
        }
    }
}
