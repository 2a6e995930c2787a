package org.sparkdpo.model.tokenizer;

/**
 * A chat template could not be rendered: the template called {@code raise_exception(msg)} (e.g. "System role not
 * supported"), or it uses syntax/functions we cannot evaluate, or the tokenizer has no chat template at all.
 */
public class ChatTemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String templateMessage;

    public ChatTemplateException(String message, String templateMessage, Throwable cause) {
        super(message, cause);
        this.templateMessage = templateMessage;
    }

    public ChatTemplateException(String message) {
        this(message, null, null);
    }

    /** The argument of the template's {@code raise_exception(...)} call, or null if the failure had another cause. */
    public String templateMessage() {
        return templateMessage;
    }
}
