package org.sparkdpo.jobs.collect;

/**
 * A request the queue refuses without changing anything (a web front end answers it with a 4xx).
 */
public final class QueueException extends RuntimeException {
    /** Why a request was refused. */
    public enum Kind {
        /** No pair with this id. */
        UNKNOWN_PAIR,
        /** This annotator already has a live decision on this pair (a replayed or double click). */
        ALREADY_DECIDED,
        /** Not one of 1, 2, t, b, s. */
        BAD_KEY,
        /** The pair already has its {@code overlap} annotators (decided or holding a lease); it is not this annotator's. */
        NOT_LEASED,
        /** The annotator name is empty or has control characters. */
        BAD_ANNOTATOR,
        /** The queue was closed. */
        CLOSED
    }

    private final Kind kind;

    public QueueException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
