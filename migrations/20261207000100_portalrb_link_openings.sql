-- Evaluator-link openings already in the audit trail this hour: the same link opened
-- again from the same address within the hour is not audited again, so one link
-- cannot flood the append-only trail. Only the current hour's rows are kept.
CREATE TABLE portalrb_link_openings (
    link TEXT NOT NULL,   -- SHA-256 of the link's signature (and file id), never the signature
    ip   TEXT NOT NULL,
    hour TEXT NOT NULL,   -- YYYY-MM-DDTHH, UTC
    PRIMARY KEY (link, ip, hour)
);
