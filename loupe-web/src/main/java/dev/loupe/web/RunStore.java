package dev.loupe.web;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The prompt runs the page may still ask about, by id, kept within a memory budget rather than a
 * count: many parallel clients must not push each other's runs out before their follow-up requests
 * (layers, lens, attribution) arrive.
 *
 * <p>Two tiers: the runs themselves (patterns, lens, decomposition; {@link PromptRun#bytes()}),
 * least recently used dropped beyond {@code budgetBytes} but always keeping the newest; and, for
 * every run, its token ids ({@link Prompt}, 4 bytes a token, {@link #PROMPT_BUDGET_BYTES} in all),
 * from which a dropped run is computed again on its next follow-up ({@link ExplorerServer}) instead
 * of answering 404.
 */
final class RunStore {
    /** What a run is recomputed from: the tokens analysed and how many were cut from the front of the prompt. */
    record Prompt(int[] ids, int dropped) {
        long bytes() {
            return 64 + 4L * ids.length;
        }
    }

    /** Memory for the prompts of dropped runs: 16k prompts of 1024 tokens. */
    static final long PROMPT_BUDGET_BYTES = 64L << 20;

    private final long budgetBytes;
    private final AtomicLong next = new AtomicLong();
    private final LinkedHashMap<String, PromptRun> runs = new LinkedHashMap<>(16, 0.75f, true);
    private final LinkedHashMap<String, Prompt> prompts = new LinkedHashMap<>(16, 0.75f, true);
    private long promptBytes;

    /** @param budgetBytes memory the kept runs may take (the newest run is kept whatever its size) */
    RunStore(long budgetBytes) {
        this.budgetBytes = budgetBytes;
    }

    /** A quarter of the largest heap: what the explorer keeps when nothing else is said. */
    static long defaultBudget() {
        return Runtime.getRuntime().maxMemory() / 4;
    }

    String newId() {
        return "r" + next.incrementAndGet();
    }

    synchronized void put(PromptRun run) {
        runs.put(run.id, run);
        Prompt p = new Prompt(run.ids, run.droppedTokens);
        Prompt old = prompts.put(run.id, p);
        promptBytes += p.bytes() - (old == null ? 0 : old.bytes());
        trim();
    }

    /** The run, or null when it was dropped (then see {@link #prompt}). */
    synchronized PromptRun get(String id) {
        trim();   // runs grow after they are stored (lens, decomposition): account for it now
        return runs.get(id);
    }

    /** What run {@code id} analysed, kept after the run itself was dropped; null if unknown. */
    synchronized Prompt prompt(String id) {
        return prompts.get(id);
    }

    /** Memory held by the kept runs now. */
    synchronized long bytes() {
        long b = 0;
        for (PromptRun r : runs.values()) b += r.bytes();
        return b;
    }

    synchronized int size() {
        return runs.size();
    }

    private void trim() {
        long total = 0;
        for (PromptRun r : runs.values()) total += r.bytes();
        for (Iterator<PromptRun> it = runs.values().iterator(); it.hasNext() && total > budgetBytes && runs.size() > 1; ) {
            total -= it.next().bytes();
            it.remove();
        }
        for (Iterator<Map.Entry<String, Prompt>> it = prompts.entrySet().iterator();
             it.hasNext() && promptBytes > PROMPT_BUDGET_BYTES && prompts.size() > 1; ) {
            promptBytes -= it.next().getValue().bytes();
            it.remove();
        }
    }
}
