package dev.loupe.tensor.ops;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class VectorExpTest {
    private static final int L = KernelSupport.L;

    /** e^x of every input, vector by vector (inputs padded to whole vectors). */
    static float[] exp(float[] x) {
        float[] in = java.util.Arrays.copyOf(x, (x.length + L - 1) / L * L), out = new float[in.length];
        for (int i = 0; i < in.length; i += L) VectorExp.exp(FloatVector.fromArray(KernelSupport.S, in, i)).intoArray(out, i);
        return java.util.Arrays.copyOf(out, x.length);
    }

    static float[] inputs(int n) {
        SplittableRandom r = new SplittableRandom(7);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 200 - 110);
        return x;
    }

    @Test
    void withinTwoUlpOfMathExpOverTheFloatRange() {
        float[] special = {0f, -0f, 1f, -1f, 1e-30f, -1e-30f, 0.5f * 0.6931472f, 88.72f, 88.7228f, 88.73f, 89f, 100f, -87.33f,
                -87.34f, -100f, -103.97f, -104f, -200f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE};
        float[] random = inputs(1 << 20);
        float[] x = new float[random.length + special.length];
        System.arraycopy(random, 0, x, 0, random.length);
        System.arraycopy(special, 0, x, random.length, special.length);
        float[] y = exp(x);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            float ref = (float) Math.exp(x[i]);
            if (Float.isInfinite(ref) || ref == 0f) {
                assertThat(y[i]).as("e^%s", x[i]).isEqualTo(ref);
                continue;
            }
            double ulps = Math.abs((double) y[i] - ref) / Math.ulp(ref);
            assertThat(ulps).as("e^%s = %s, Math.exp %s", x[i], y[i], ref).isLessThanOrEqualTo(2);
            worst = Math.max(worst, ulps);
        }
        assertThat(worst).isGreaterThan(0);   // the check compared something
    }

    @Test
    void infinitiesAndNaN() {
        float[] y = exp(new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN});
        assertThat(y[0]).isEqualTo(0f);
        assertThat(y[1]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(y[2]).isNaN();
    }

    /**
     * The reason the class exists: the same bits whether the JIT has compiled the code or not. A JVM
     * running interpreted only (-Xint) computes e^x of the same inputs and prints a hash of the bits;
     * this JVM computes them after warming the code up. With {@code lanewise(EXP)} the two differ.
     */
    @Test
    void sameBitsInterpretedAndCompiled() throws Exception {
        for (int i = 0; i < 300; i++) exp(inputs(1 << 14));   // compiled by now
        String compiled = Long.toString(hash(exp(inputs(1 << 14))));
        assertThat(runInterpreted()).isEqualTo(compiled);
    }

    static long hash(float[] y) {
        long h = 0;
        for (float f : y) h = h * 31 + Float.floatToRawIntBits(f);
        return h;
    }

    /** Entry point of the interpreted JVM. */
    public static void main(String[] args) {
        System.out.println(hash(exp(inputs(1 << 14))));
    }

    private static String runInterpreted() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xint", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), VectorExpTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        return out;
    }
}
