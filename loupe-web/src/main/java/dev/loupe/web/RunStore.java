package dev.loupe.web;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The last few prompt runs, by id, so the page can fetch a run's layers, lens and attribution after
 * the first answer. Least recently used runs are dropped beyond {@code capacity} runs or
 * {@link #MAX_PATTERN_BYTES} of attention patterns (a GPT-2-small run at 1024 tokens holds 600 MB),
 * always keeping the newest.
 */
final class RunStore {
    private final int capacity;
    private final AtomicLong next = new AtomicLong();
    private final Map<String, PromptRun> runs;

    RunStore(int capacity) {
        this.capacity = capacity;
        this.runs = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, PromptRun> eldest) {
                return size() > RunStore.this.capacity || (size() > 1 && bytes() > MAX_PATTERN_BYTES);
            }
        };
    }

    /** Attention patterns kept at most (when more than one run is kept). */
    static final long MAX_PATTERN_BYTES = 1L << 30;

    private long bytes() {
        long b = 0;
        for (PromptRun r : runs.values()) b += r.patternBytes();
        return b;
    }

    String newId() {
        return "r" + next.incrementAndGet();
    }

    synchronized void put(PromptRun run) {
        runs.put(run.id, run);
    }

    synchronized PromptRun get(String id) {
        return runs.get(id);
    }
}
