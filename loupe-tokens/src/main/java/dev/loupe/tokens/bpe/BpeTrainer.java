package dev.loupe.tokens.bpe;

import dev.loupe.LoupeException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.IntConsumer;

/**
 * Trains a byte-level BPE vocabulary on a corpus (Sennrich et al. 2016, "Neural Machine
 * Translation of Rare Words with Subword Units", on bytes as in GPT-2):
 * <ol>
 *   <li>split the corpus into pieces with GPT-2's {@link Gpt2PreTokenizer} and count each distinct
 *       piece ("word"), as UTF-8 bytes;</li>
 *   <li>repeat: merge the most frequent adjacent pair of tokens (counted over all words, weighted by
 *       word frequency) into a new token, in every word, left to right;</li>
 *   <li>until the vocabulary has the requested size, or no pair is left.</li>
 * </ol>
 * Vocabulary layout: ids 0..255 are the bytes 0..255, then one id per merge in the order made,
 * then {@code <|endoftext|>} last, so {@code vocabSize = 256 + merges + 1}.
 *
 * <p><b>Determinism and ties:</b> among pairs with the same count the pair with the smaller left
 * id wins, then the smaller right id; the result depends only on the corpus and the size.
 *
 * <p><b>Speed:</b> pair counts are updated incrementally: a merge revisits only the words that
 * contain its pair (an index from pair to words), and a max-heap with lazy deletion finds the next
 * most frequent pair, so a 4k vocabulary on Tiny Shakespeare takes seconds.
 *
 * <p>The result is saved like GPT-2's (vocab.json + merges.txt, see {@link BpeFiles#saveHuggingFace}).
 */
public final class BpeTrainer {
    private BpeTrainer() {}

    /** Trains a vocabulary of (at most) {@code vocabSize} tokens on {@code corpus}. */
    public static ByteLevelBpe train(String corpus, int vocabSize) {
        return train(corpus, vocabSize, merges -> { });
    }

    /**
     * Trains a vocabulary of (at most) {@code vocabSize} tokens on {@code corpus}; {@code progress}
     * receives the number of merges made so far, now and then.
     *
     * @throws LoupeException when {@code vocabSize} < 257 (the 256 bytes and end-of-text)
     */
    public static ByteLevelBpe train(String corpus, int vocabSize, IntConsumer progress) {
        if (vocabSize < 257) {
            throw new LoupeException("BPE vocabulary size must be at least 257 (256 bytes + <|endoftext|>), got " + vocabSize);
        }
        return new Run(corpus).train(vocabSize - 257, progress);
    }

    private static final class Pair {
        final int left, right;
        long count;
        int[] words = new int[4]; // may hold stale entries and repeats: checked on use
        int nWords;

        Pair(int left, int right) {
            this.left = left;
            this.right = right;
        }

        void addWord(int w) {
            if (nWords > 0 && words[nWords - 1] == w) return;
            if (nWords == words.length) words = Arrays.copyOf(words, nWords * 2);
            words[nWords++] = w;
        }
    }

    private record Entry(long count, int left, int right) {}

    private static final class Run {
        final int[][] words;
        final int[] lengths;
        final long[] freq;
        final Map<Long, Pair> pairs = new HashMap<>(1 << 16);
        final PriorityQueue<Entry> heap = new PriorityQueue<>((a, b) -> a.count != b.count ? Long.compare(b.count, a.count)
                : a.left != b.left ? Integer.compare(a.left, b.left) : Integer.compare(a.right, b.right));
        final List<byte[]> tokens = new ArrayList<>();

        Run(String corpus) {
            char[] s = corpus.toCharArray();
            Map<String, long[]> counts = new HashMap<>();
            for (int p = 0; p < s.length; ) {
                int q = Gpt2PreTokenizer.pieceEnd(s, p, s.length);
                counts.computeIfAbsent(new String(s, p, q - p), k -> new long[1])[0]++;
                p = q;
            }
            String[] keys = counts.keySet().toArray(new String[0]);
            Arrays.sort(keys); // word order does not change the result, but keep everything reproducible
            words = new int[keys.length][];
            lengths = new int[keys.length];
            freq = new long[keys.length];
            for (int w = 0; w < keys.length; w++) {
                byte[] b = keys[w].getBytes(StandardCharsets.UTF_8);
                words[w] = new int[b.length];
                for (int i = 0; i < b.length; i++) words[w][i] = b[i] & 0xFF;
                lengths[w] = b.length;
                freq[w] = counts.get(keys[w])[0];
            }
            for (int b = 0; b < 256; b++) tokens.add(new byte[] {(byte) b});
        }

        private static long key(int l, int r) {
            return ((long) l << 32) | r;
        }

        private Pair pair(int l, int r) {
            return pairs.computeIfAbsent(key(l, r), k -> new Pair(l, r));
        }

        ByteLevelBpe train(int maxMerges, IntConsumer progress) {
            for (int w = 0; w < words.length; w++) {
                int[] t = words[w];
                for (int i = 0; i + 1 < lengths[w]; i++) {
                    Pair p = pair(t[i], t[i + 1]);
                    p.count += freq[w];
                    p.addWord(w);
                }
            }
            for (Pair p : pairs.values()) heap.add(new Entry(p.count, p.left, p.right));
            List<Merge> merges = new ArrayList<>(maxMerges);
            int[] stamp = new int[words.length];
            Arrays.fill(stamp, -1);
            Map<Long, Pair> changed = new HashMap<>();
            while (merges.size() < maxMerges) {
                Pair best = null;
                while (!heap.isEmpty()) {
                    Entry e = heap.poll();
                    Pair p = pairs.get(key(e.left, e.right));
                    if (p != null && p.count == e.count && p.count > 0) {
                        best = p;
                        break;
                    }
                }
                if (best == null) break; // every word is one token
                int id = tokens.size();
                byte[] lb = tokens.get(best.left), rb = tokens.get(best.right);
                byte[] mb = Arrays.copyOf(lb, lb.length + rb.length);
                System.arraycopy(rb, 0, mb, lb.length, rb.length);
                tokens.add(mb);
                int rank = merges.size();
                merges.add(new Merge(best.left, best.right, rank, id));
                changed.clear();
                int[] ws = best.words;
                int nw = best.nWords;
                for (int k = 0; k < nw; k++) {
                    int w = ws[k];
                    if (stamp[w] == rank) continue;
                    stamp[w] = rank;
                    mergeIn(w, best.left, best.right, id, changed);
                }
                pairs.remove(key(best.left, best.right));
                for (Pair p : changed.values()) {
                    if (p.count == 0) pairs.remove(key(p.left, p.right));
                    else heap.add(new Entry(p.count, p.left, p.right));
                }
                if ((rank & 63) == 0) progress.accept(rank + 1);
            }
            progress.accept(merges.size());
            tokens.add(BpeFiles.END_OF_TEXT.getBytes(StandardCharsets.UTF_8));
            return new ByteLevelBpe(tokens.toArray(new byte[0][]), merges, BpeFiles.END_OF_TEXT);
        }

        /** Replaces (l, r) by {@code id} in word w, left to right, updating the pair counts. */
        private void mergeIn(int w, int l, int r, int id, Map<Long, Pair> changed) {
            int[] t = words[w];
            int n = lengths[w];
            boolean has = false;
            for (int i = 0; i + 1 < n; i++) if (t[i] == l && t[i + 1] == r) { has = true; break; }
            if (!has) return; // stale index entry
            long f = freq[w];
            for (int i = 0; i + 1 < n; i++) adjust(t[i], t[i + 1], -f, w, changed);
            int m = 0;
            for (int i = 0; i < n; ) {
                if (i + 1 < n && t[i] == l && t[i + 1] == r) {
                    t[m++] = id;
                    i += 2;
                } else {
                    t[m++] = t[i++];
                }
            }
            lengths[w] = m;
            for (int i = 0; i + 1 < m; i++) adjust(t[i], t[i + 1], f, w, changed);
        }

        private void adjust(int l, int r, long delta, int w, Map<Long, Pair> changed) {
            long k = key(l, r);
            Pair p = pairs.get(k);
            if (p == null) {
                p = new Pair(l, r);
                pairs.put(k, p);
            }
            p.count += delta;
            if (delta > 0) p.addWord(w);
            changed.put(k, p);
        }
    }
}
