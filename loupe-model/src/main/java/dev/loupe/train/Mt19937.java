package dev.loupe.train;

/**
 * The 32-bit Mersenne Twister MT19937 (Matsumoto &amp; Nishimura, 1998) as PyTorch's CPU generator
 * and llm.c's {@code llmc/rand.h} run it: {@code manual_seed} fills the 624-word state with
 * Knuth's multiplier 1812433253, and the first draw regenerates the whole state. For a given seed
 * the sequence of {@link #nextInt()} values is the sequence of llm.c's {@code randint32} (and of
 * {@code torch.randint(0, 0xFFFFFFFF, [1])}, which is the same value except when it is 2³²−1).
 *
 * <p>Loupe uses it where a run must follow llm.c's random choices exactly: the shuffled order of
 * {@link ShuffledLoader}.
 */
public final class Mt19937 {
    private static final int N = 624, M = 397;
    private static final int MATRIX_A = 0x9908b0df, UPPER = 0x80000000, LOWER = 0x7fffffff;

    private final int[] state = new int[N];
    private int left;
    private int next;

    /** A generator seeded like llm.c's {@code manual_seed(state, seed)} (seed taken as an unsigned 32-bit value). */
    public Mt19937(int seed) {
        state[0] = seed;
        for (int j = 1; j < N; j++) state[j] = 1812433253 * (state[j - 1] ^ (state[j - 1] >>> 30)) + j;
        left = 1;
        next = 0;
    }

    private void nextState() {
        left = N;
        next = 0;
        int j = 0;
        for (; j < N - M; j++) state[j] = state[j + M] ^ twist(state[j], state[j + 1]);
        for (; j < N - 1; j++) state[j] = state[j + M - N] ^ twist(state[j], state[j + 1]);
        state[N - 1] = state[M - 1] ^ twist(state[N - 1], state[0]);
    }

    private static int twist(int upper, int lower) {
        int y = (upper & UPPER) | (lower & LOWER);
        return (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
    }

    /** The next 32-bit output (an unsigned value held in an int), llm.c's {@code randint32}. */
    public int nextInt() {
        if (--left <= 0) nextState();
        int y = state[next++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    /**
     * Shuffles {@code data} in place exactly as llm.c's {@code random_permutation}: for i from the
     * last index down to 1, swap element i with element {@code randint32 % (i + 1)} (unsigned).
     * An array of n elements consumes n − 1 draws.
     */
    public void permute(int[] data) {
        for (int i = data.length - 1; i > 0; i--) {
            int j = Integer.remainderUnsigned(nextInt(), i + 1);
            int tmp = data[i];
            data[i] = data[j];
            data[j] = tmp;
        }
    }
}
