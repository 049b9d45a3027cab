-- +goose Up

-- The state a bill was in when it was cancelled for having no line left
-- (its last domain deleted); a restore of that domain reopens the bill in
-- it. '' for a bill never cancelled so, or reopened since.
ALTER TABLE bills ADD COLUMN cancelled_from TEXT NOT NULL DEFAULT ''
    CHECK (cancelled_from IN ('', 'noticed', 'sent', 'reminded', 'reminder-letter', 'final-notice', 'deactivated'));

-- +goose Down
ALTER TABLE bills DROP COLUMN cancelled_from;
