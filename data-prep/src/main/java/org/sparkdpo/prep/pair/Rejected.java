package org.sparkdpo.prep.pair;

/**
 * Thrown by row-level code when a row cannot be used, carrying the reason code and a short human detail. An
 * exception rather than a return value because the checks sit several calls deep; it has no stack trace, since
 * rejects are an expected, frequent outcome.
 */
public final class Rejected extends Exception {
    private final RejectReason reason;

    public Rejected(RejectReason reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }

    public RejectReason reason() {
        return reason;
    }

    public String detail() {
        return getMessage();
    }
}
