package dev.loupe.hub;

/** Hears how a download goes, to draw a progress bar. Calls come from the downloading thread. */
public interface DownloadListener {
    /** A file starts (or resumes): {@code have} bytes are already on disk of {@code total} (-1 when unknown). */
    void started(String file, long have, long total);

    /** {@code bytes} of the file are on disk now. */
    void progressed(String file, long bytes);

    /** The file is complete and verified. */
    void finished(String file);

    /** A listener that ignores everything. */
    DownloadListener NONE = new DownloadListener() {
        @Override
        public void started(String file, long have, long total) {}

        @Override
        public void progressed(String file, long bytes) {}

        @Override
        public void finished(String file) {}
    };
}
