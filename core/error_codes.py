"""Every error code a client can receive, declared once with its meaning and whether a client may retry.

``ErrorCode`` is a ``StrEnum``: a member is the wire string itself (``ErrorCode.NOT_FOUND == "NOT_FOUND"``),
so it goes into ``extensions.code``, ``userErrors { code }``, sync results, import rows and HTTP bodies
unchanged. ``retry`` is true when the same request, sent again unchanged after a pause, may succeed
(nothing was written); every other code needs a different request. docs/api.md's table of codes is
generated from this enum (``ecoinspect error-codes``), and tests/unit/test_error_codes.py fails on a
code written as a string literal anywhere in api/, core/, rules/ or scheduler/.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    meaning: str
    retry: bool

    def __new__(cls, value: str, meaning: str = "", retry: bool = False) -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        member.retry = retry
        return member

    # Requests: transport, authentication, limits, faults
    BAD_REQUEST = "BAD_REQUEST", "HTTP 400: the body is not valid JSON or not a JSON object, or a login lacks a field"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE", (
        "HTTP 415: a POST body that is not application/json, or a tus PATCH not application/offset+octet-stream")
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE", "HTTP 406: the Accept header allows none of the response media types"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED", (
        "HTTP 405: GET without a persisted query in production, or a mutation sent with GET")
    BODY_TOO_LARGE = "BODY_TOO_LARGE", "HTTP 413: the request body is over ECOINSPECT_MAX_BODY_BYTES"
    OPERATION_NOT_SUPPORTED = "OPERATION_NOT_SUPPORTED", "HTTP 400: a subscription (the API has none over HTTP)"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND", (
        "the server does not know the persisted query's hash (yet, or any more): send it again with the query")
    PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH", (
        "HTTP 400: extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it")
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED", "the GraphQL document does not parse"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED", "the document does not validate against the schema"
    BAD_USER_INPUT = "BAD_USER_INPUT", (
        "a value of the wrong type, out of range or a bad enum value, a missing input field, or a value that "
        "cannot be stored (NaN, Infinity, an integer beyond 64 bits, a lone surrogate)")
    TOO_MANY_TOKENS = "TOO_MANY_TOKENS", "the document has more than ECOINSPECT_QUERY_MAX_TOKENS tokens"
    QUERY_TOO_DEEP = "QUERY_TOO_DEEP", (
        "fields nested deeper than ECOINSPECT_QUERY_MAX_DEPTH (introspection: deeper than 20 levels)")
    TOO_MANY_ALIASES = "TOO_MANY_ALIASES", "more than ECOINSPECT_QUERY_MAX_ALIASES aliases, counted through fragments"
    QUERY_TOO_LARGE = "QUERY_TOO_LARGE", "more than ECOINSPECT_QUERY_MAX_NODES estimated nodes"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX", "validation took longer than ECOINSPECT_QUERY_VALIDATION_BUDGET_MS"
    INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE", "first outside its range (1-100; syncPull 1-500)"
    INVALID_CURSOR = "INVALID_CURSOR", "after is not a cursor this list gave out"
    INTERNAL_ERROR = "INTERNAL_ERROR", "an unexpected fault, masked (logged with the request id)"
    UNAVAILABLE = "UNAVAILABLE", "the database cannot be reached; sent with Retry-After", True
    TRANSACTION_BUSY = "TRANSACTION_BUSY", "concurrent writes kept aborting the transaction; nothing was kept", True
    UNAUTHENTICATED = "UNAUTHENTICATED", "the field or endpoint needs a login (an Authorization: Bearer token)"
    INVALID_TOKEN = "INVALID_TOKEN", (
        "HTTP 401: the token is malformed or of the wrong kind, revoked, or its account can no longer sign in")
    TOKEN_EXPIRED = "TOKEN_EXPIRED", "HTTP 401: the token has expired; refresh it or sign in again"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS", "HTTP 401: wrong username or password (or a disabled account)"
    UNSUPPORTED_GRANT_TYPE = "UNSUPPORTED_GRANT_TYPE", "HTTP 400: grant_type is neither password nor refresh_token"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED", "HTTP 423: too many failed logins for this account; wait for the lock to end"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS", "HTTP 429: too many failed logins from this client address; wait"
    FORBIDDEN = "FORBIDDEN", "your role or jurisdictions do not allow this"
    NOT_AN_INSPECTOR = "NOT_AN_INSPECTOR", "tasks and sync are for accounts linked to an inspector"
    USER_EXISTS = "USER_EXISTS", "a user with that name exists already"
    INSPECTOR_EXISTS = "INSPECTOR_EXISTS", "an inspector with that staff id exists already"
    MATTER_EXISTS = "MATTER_EXISTS", "a matter with that code exists already"
    WEAK_PASSWORD = "WEAK_PASSWORD", "the password is shorter than the minimum"

    # Any domain: refusals shared by several operations
    DOMAIN_ERROR = "DOMAIN_ERROR", "a refusal without a more specific code"
    INVALID_INPUT = "INVALID_INPUT", "the input was refused, without a more specific code"
    NOT_FOUND = "NOT_FOUND", "no such record, or one outside your jurisdictions (the same answer)"
    CONFLICT = "CONFLICT", (
        "the request conflicts with the record's state; in policy validation, rules of equal priority "
        "that decide differently for the same facts")
    STALE_VERSION = "STALE_VERSION", "the record changed since the version you sent; read it again and redo the edit"
    ID_CONFLICT = "ID_CONFLICT", "a client id reused with a different payload"
    IMMUTABLE = "IMMUTABLE", "a field that cannot change (a credit code, a policy's kind)"
    REQUIRED = "REQUIRED", "a required field is missing or empty"
    INVALID_VALUE = "INVALID_VALUE", "a value outside what the field accepts"
    OUT_OF_RANGE = "OUT_OF_RANGE", "a number outside its range"
    INVALID_DATE = "INVALID_DATE", "not a date (YYYY-MM-DD), or a date that cannot be (e.g. in the future)"
    INVALID_NUMBER = "INVALID_NUMBER", "not a finite number"
    INVALID_BOOLEAN = "INVALID_BOOLEAN", "not a boolean (true/false, 1/0, yes/no, 是/否)"
    IN_FUTURE = "IN_FUTURE", "a date or time in the future (readings: more than 5 minutes ahead)"
    REASON_REQUIRED = "REASON_REQUIRED", (
        "the step needs a reason (replacement, plan cancellation, rollback, dismissal, refusal to sign)")
    WRONG_STATUS = "WRONG_STATUS", "the record's status does not allow this step"
    UNKNOWN_JURISDICTION = "UNKNOWN_JURISDICTION", "not a division code of the jurisdiction table"

    # Registry imports: row and file errors
    INVALID_CREDIT_CODE = "INVALID_CREDIT_CODE", "not a valid unified social credit code (GB 32100)"
    UNKNOWN_INDUSTRY = "UNKNOWN_INDUSTRY", "not a GB/T 4754 industry code"
    INVALID_GEOJSON = "INVALID_GEOJSON", "the boundary is not a GeoJSON polygon"
    MALFORMED_ROW = "MALFORMED_ROW", "a row (or a flight-log line) that cannot be read"
    INVALID_ENCODING = "INVALID_ENCODING", "not valid UTF-8"
    DUPLICATE_IN_FILE = "DUPLICATE_IN_FILE", "the key appears earlier in the same file"
    OUT_OF_SCOPE = "OUT_OF_SCOPE", "a row for a jurisdiction outside yours"
    CONCURRENT_WRITE = "CONCURRENT_WRITE", (
        "another writer changed the record at the same time (an import row, a case step); read it and try again"), True
    MISSING_COLUMN = "MISSING_COLUMN", "the file has no header row, or lacks a required column"
    MALFORMED_FILE = "MALFORMED_FILE", "the file as a whole cannot be read (bad header, not a JSON array)"

    # Plans, draws, results
    PLAN_NOT_DRAFT = "PLAN_NOT_DRAFT", "only a draft plan can change or be frozen"
    PLAN_NOT_FROZEN = "PLAN_NOT_FROZEN", "only a frozen plan can be drawn"
    PLAN_NOT_DRAWN = "PLAN_NOT_DRAWN", "the plan has not been drawn yet"
    ALREADY_DRAWN = "ALREADY_DRAWN", "the plan was drawn already"
    OVERLAPPING_PLAN = "OVERLAPPING_PLAN", (
        "another plan of the same jurisdiction with a shared matter and an overlapping period is frozen or drawn, "
        "its draw neither published nor the plan cancelled: publish that draw or cancel that plan first")
    EMPTY_POPULATION = "EMPTY_POPULATION", "the plan's population is empty"
    INSUFFICIENT_CAPACITY = "INSUFFICIENT_CAPACITY", "the eligible inspectors cannot cover the drawn tasks"
    INVALID_POPULATION = "INVALID_POPULATION", "the draw's population is inconsistent (an id twice, lengths differ)"
    INVALID_RATIO = "INVALID_RATIO", "a sampling ratio outside [0, 1]"
    BELOW_MINIMUM_RATIO = "BELOW_MINIMUM_RATIO", (
        "a plan's ratio for a supervision class is below the minimum of the sampling_ratio policy in force on the "
        "plan's start (checked when the plan is created or edited, and again at freeze)")
    INVALID_WEIGHT = "INVALID_WEIGHT", "a sampling weight that is not a positive number"
    INVALID_QUOTA = "INVALID_QUOTA", "a stratum's quota outside 0..its size"
    NO_POLICY = "NO_POLICY", "no policy of the kind the step needs is in force (or no policy engine is configured)"
    UNSTAFFABLE = "UNSTAFFABLE", "no eligible inspector is left for the replacement"
    NO_REPLACEMENT = "NO_REPLACEMENT", "no enterprise of the stratum is left to draw"
    PUBLIC_VALUE_REQUIRED = "PUBLIC_VALUE_REQUIRED", (
        "a draw or a replacement needs the public value announced in its commitment; it cannot be empty")
    PUBLIC_VALUE_FORMAT = "PUBLIC_VALUE_FORMAT", (
        "the public value is not in the announced canonical format exactly (one spelling only)")
    DRAW_TOO_EARLY = "DRAW_TOO_EARLY", (
        "the announced public value is not public yet: the draw or replacement may happen from the announced "
        "earliest time"), True
    REDRAW_PENDING = "REDRAW_PENDING", (
        "a replacement of the plan is filed and waits for its public value: complete it first")
    TASK_NOT_ACTIVE = "TASK_NOT_ACTIVE", "the task was replaced or cancelled; it has no result"
    RESULT_EXISTS = "RESULT_EXISTS", "the task has a result already"
    ALERT_IN_PAST = "ALERT_IN_PAST", (
        "an alert that has already ended, or that starts longer ago than ECOINSPECT_ALERT_MAX_BACKDATE_HOURS")
    ALERT_NOT_ACTIVE = "ALERT_NOT_ACTIVE", "the heavy-pollution alert was lifted or has ended"

    # Policies: document checks (docs/policies.md) and lifecycle
    MALFORMED_POLICY = "MALFORMED_POLICY", "the policy document does not have the required shape"
    UNKNOWN_KIND = "UNKNOWN_KIND", "not a known policy kind, or not a known evidence kind"
    UNKNOWN_FACT = "UNKNOWN_FACT", "a fact that is not in the vocabulary"
    UNKNOWN_OPERATOR = "UNKNOWN_OPERATOR", "an operator that is not in the vocabulary"
    UNKNOWN_VALUE = "UNKNOWN_VALUE", "a value outside the fact's enumeration"
    UNKNOWN_OUTPUT = "UNKNOWN_OUTPUT", "an output the policy kind does not have"
    TYPE_MISMATCH = "TYPE_MISMATCH", "a value or operator of the wrong type for the fact"
    INVALID_OUTPUT = "INVALID_OUTPUT", "an output outside its enumeration or range"
    MISSING_OUTPUT = "MISSING_OUTPUT", "a rule lacks an output of its kind"
    DUPLICATE_RULE = "DUPLICATE_RULE", "two rules with one id"
    INVALID_PERIOD = "INVALID_PERIOD", "a period that ends before it starts"
    GAP = "GAP", "some combination of facts is decided by no rule"
    DEAD_RULE = "DEAD_RULE", "a rule that can never decide anything"
    ANALYSIS_TOO_LARGE = "ANALYSIS_TOO_LARGE", "too many fact combinations for the static analysis"
    COMPILE_FAILED = "COMPILE_FAILED", "durable_rules refused the compiled rules"
    NO_GOLDEN_CASES = "NO_GOLDEN_CASES", "a version needs at least one golden case before review"
    GOLDEN_CASE_FAILED = "GOLDEN_CASE_FAILED", "a golden case did not get its expected outputs"
    SELF_APPROVAL = "SELF_APPROVAL", "the author of a version cannot approve it"
    OVERLAPPING_PERIOD = "OVERLAPPING_PERIOD", "the start is not after the current version's start"
    NOT_RETIRED = "NOT_RETIRED", "a rollback goes to a retired version of the same policy"
    NOT_SIMULATABLE = "NOT_SIMULATABLE", "the policy decides on violations, not on the registry: use golden cases"

    # Field work: sync pushes and their op results (docs/fieldwork.md)
    TOO_MANY_OPS = "TOO_MANY_OPS", "more ops in one push than ECOINSPECT_SYNC_MAX_OPS"
    SYNC_BUSY = "SYNC_BUSY", "the push could not settle against concurrent pushes; nothing was written", True
    MALFORMED_OP = "MALFORMED_OP", "an op that is not an object, lacks a field or has an unknown one"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE", "an op payload over 64 KiB as JSON"
    INVALID_TIMESTAMP = "INVALID_TIMESTAMP", "not a time with a UTC offset, or outside the years 1970-2199"
    TIMESTAMP_IN_FUTURE = "TIMESTAMP_IN_FUTURE", "a device time later than the device's clock at push time"
    INVALID_COORDINATES = "INVALID_COORDINATES", "a position outside the earth, or not numbers"
    INVALID_HASH = "INVALID_HASH", "a SHA-256 that is not 64 lower-case hex digits"
    UNKNOWN_MATTER = "UNKNOWN_MATTER", "not a matter of the matter list"
    UNKNOWN_CHECKLIST = "UNKNOWN_CHECKLIST", "no checklist with that id"
    UNKNOWN_ITEM = "UNKNOWN_ITEM", "the item is not on the inspection's checklist"
    ITEM_CHANGED = "ITEM_CHANGED", "an edit of an answer names another item than the record answers"
    DUPLICATE_ANSWER = "DUPLICATE_ANSWER", "the item was answered by another record (kept as a conflict)"
    INSPECTION_EXISTS = "INSPECTION_EXISTS", "the task was started as another inspection (kept as a conflict)"
    RECORD_IMMUTABLE = "RECORD_IMMUTABLE", "a submitted inspection is read-only; correct it with a new inspection"
    RECORD_DELETED = "RECORD_DELETED", "the record was deleted"
    NOT_SUBMITTED = "NOT_SUBMITTED", "only a submitted inspection can be corrected; edit an open one"
    ALREADY_SIGNED = "ALREADY_SIGNED", "the inspector has signed this inspection already"
    CERTIFICATE_EXPIRED = "CERTIFICATE_EXPIRED", "the inspector's enforcement certificate has expired"
    SIGNATURE_MISSING = "SIGNATURE_MISSING", "a signature needs its image registered as photo evidence"
    SIGNATURES_MISSING = "SIGNATURES_MISSING", "every assigned inspector (at least two) must sign first"
    PARTY_MISSING = "PARTY_MISSING", "the inspected party's signature or refusal comes first"
    REQUIRED_ITEMS_MISSING = "REQUIRED_ITEMS_MISSING", "required checklist items are unanswered"
    NOT_STARTED = "NOT_STARTED", "the task has no on-site inspection yet"
    TASK_NOT_INSPECTED = "TASK_NOT_INSPECTED", (
        "no inspection of the task was submitted: its only possible result is not_inspected")
    OUTSIDE_PLAN_PERIOD = "OUTSIDE_PLAN_PERIOD", "the date lies outside the plan's period"
    EVIDENCE_IN_USE = "EVIDENCE_IN_USE", "the evidence is the party's signature image; it cannot be withdrawn"

    # Evidence uploads (HTTP, docs/fieldwork.md)
    UPLOAD_REJECTED = "UPLOAD_REJECTED", "the upload was refused, without a more specific code"
    OFFSET_MISMATCH = "OFFSET_MISMATCH", "HTTP 409: the range does not start at the stored offset; resume from it"
    INVALID_RANGE = "INVALID_RANGE", "HTTP 416: no Content-Range, or a malformed one"
    SIZE_MISMATCH = "SIZE_MISMATCH", "HTTP 416: the range's total is not the registered size"
    CHUNK_TOO_LARGE = "CHUNK_TOO_LARGE", "HTTP 413: one request carries more than ECOINSPECT_EVIDENCE_CHUNK_MAX_BYTES"
    TRUNCATED_CHUNK = "TRUNCATED_CHUNK", "HTTP 400: the body ended before the range did"
    CHUNK_OVERRUN = "CHUNK_OVERRUN", "HTTP 400: the body goes on past the range"
    HASH_MISMATCH = "HASH_MISMATCH", "HTTP 422: the bytes do not have the registered SHA-256; upload again from 0"
    UPLOAD_COMPLETE = "UPLOAD_COMPLETE", "HTTP 409: every byte is stored and verified already"
    UPLOAD_BUSY = "UPLOAD_BUSY", "HTTP 409: another request is verifying this upload; sent with Retry-After", True
    NOT_COMPLETE = "NOT_COMPLETE", "HTTP 409: the content was asked for before the upload completed"
    EVIDENCE_WITHDRAWN = "EVIDENCE_WITHDRAWN", "HTTP 410: the evidence was withdrawn; register a replacement"
    MIME_NOT_ALLOWED = "MIME_NOT_ALLOWED", "a MIME type the evidence kind does not allow"
    MIME_MISMATCH = "MIME_MISMATCH", "HTTP 415: the first bytes are not of the declared type"
    FILE_TOO_LARGE = "FILE_TOO_LARGE", "HTTP 413: over the size limit of the evidence kind or of the upload"
    EMPTY_FILE = "EMPTY_FILE", "a file of 0 bytes"
    CHECKSUM_MISMATCH = "CHECKSUM_MISMATCH", (
        "HTTP 460 (tus): the PATCH body does not have its Upload-Checksum; nothing of it was stored"), True
    CHECKSUM_UNSUPPORTED = "CHECKSUM_UNSUPPORTED", (
        "HTTP 400 (tus): Upload-Checksum names an algorithm other than sha256 or sha1, or is malformed")
    UPLOAD_EXPIRED = "UPLOAD_EXPIRED", (
        "HTTP 410 (tus): the upload resource expired; create another for the evidence (stored bytes are kept)")
    TUS_VERSION_UNSUPPORTED = "TUS_VERSION_UNSUPPORTED", "HTTP 412 (tus): Tus-Resumable is missing or not 1.0.0"
    MALFORMED_TUS_REQUEST = "MALFORMED_TUS_REQUEST", (
        "HTTP 400 (tus): Upload-Length, Upload-Offset or Upload-Metadata (with evidenceId) missing or malformed, "
        "or Upload-Defer-Length (not supported)")

    # Non-site supervision: meters, power alerts, leads, complaints, drone flights (docs/nonsite.md)
    UNKNOWN_METER = "UNKNOWN_METER", "the meter is not registered, or outside your jurisdictions"
    NEGATIVE_VALUE = "NEGATIVE_VALUE", "power or energy below zero"
    DECREASING_COUNTER = "DECREASING_COUNTER", "a cumulative kWh counter lower than the meter's previous reading"
    TOO_MANY_ROWS = "TOO_MANY_ROWS", "more than 5,000 readings in one call (send files to POST /meters/readings)"
    WRONG_STAGE = "WRONG_STAGE", "the power alert is not at the stage this action needs"
    EVIDENCE_REQUIRED = "EVIDENCE_REQUIRED", "verification needs evidence ids and the finding"
    NOT_VERIFIED = "NOT_VERIFIED", "the power alert has no verifier or evidence yet"
    LEAD_DISMISSED = "LEAD_DISMISSED", "the lead was dismissed; a positive-list enterprise gets no task for it"
    ALREADY_CLOSED = "ALREADY_CLOSED", "the complaint is closed already"
    MALFORMED_TRACK = "MALFORMED_TRACK", "a drone track without one valid point"
    MALFORMED_GPX = "MALFORMED_GPX", "a GPX file that cannot be read (or is refused as unsafe XML)"
    MISSING_COLUMNS = "MISSING_COLUMNS", "a CSV flight log whose header lacks time, lat or lon"
    INVALID_TIME = "INVALID_TIME", "a flight-log time that cannot be read"
    INVALID_ALTITUDE = "INVALID_ALTITUDE", "a flight-log altitude that is not a number (the point is kept)"
    OUT_OF_ORDER = "OUT_OF_ORDER", "a flight-log point before the previous point's time"
    DUPLICATE_POINT = "DUPLICATE_POINT", "a second flight-log point for one instant"
    IMAGE_WITHOUT_GPS = "IMAGE_WITHOUT_GPS", "a flight photo without a GPS position in its EXIF"
    NO_DEMO_DATA = "NO_DEMO_DATA", "the demo meters need the demo data loaded first (ecoinspect demo)"

    # Cases and penalties (docs/cases.md)
    STEP_OUT_OF_ORDER = "STEP_OUT_OF_ORDER", "a case step that the case's stage does not allow yet, or no longer"
    NOT_INDEPENDENT = "NOT_INDEPENDENT", (
        "a legal review, hearing or approval by one of the case's handling officers")
    OFFICERS_REQUIRED = "OFFICERS_REQUIRED", "a case needs at least two certified, on-post handling officers"
    FINE_OUT_OF_RANGE = "FINE_OUT_OF_RANGE", "a fine outside the statutory range of its violation"
    HEAVIER_THAN_NOTIFIED = "HEAVIER_THAN_NOTIFIED", (
        "a decision heavier than the prior notice (行政处罚法 art. 45: statements may not increase a penalty)")
    LEGAL_REVIEW_REQUIRED = "LEGAL_REVIEW_REQUIRED", "a major decision needs an approving legal review first"
    DISCUSSION_REQUIRED = "DISCUSSION_REQUIRED", "a major decision needs the collective discussion first"
    HEARING_PENDING = "HEARING_PENDING", (
        "the party's window to ask for a hearing is still open, or a requested hearing has not been held")
    TOO_LATE = "TOO_LATE", "a request after its legal window (a hearing asked for after the notice's window)"
    NOTICE_TOO_SHORT = "NOTICE_TOO_SHORT", "a hearing set less than the configured days after its notice"
    EXTENSION_USED = "EXTENSION_USED", "the decision deadline was already extended once"
    DATE_ORDER = "DATE_ORDER", "a date before the step it follows (served before decided, paid before served)"
    NOT_SERVED = "NOT_SERVED", "the decision or correction order has not been served yet"
    DAILY_PENALTY_NOT_APPLICABLE = "DAILY_PENALTY_NOT_APPLICABLE", (
        "a daily continuous penalty for a violation type outside 按日连续处罚办法 art. 5 (configured), without a fine, "
        "or without a re-inspection that found the discharge continuing")
    DISCHARGE_STOPPED = "DISCHARGE_STOPPED", "a halt, seal or seizure ended the discharge: no more daily penalty days"
    NO_APPLICATION = "NO_APPLICATION", "a deferral or instalment approval without the party's application"
    INVALID_INSTALMENTS = "INVALID_INSTALMENTS", (
        "instalments that do not add up to the fine, or due dates not after the original due date")
    OVERPAYMENT = "OVERPAYMENT", "a payment above what is still owed (fine and surcharge)"
    UNPAID = "UNPAID", "a case closed while its fines or surcharges are unpaid and no court enforcement was applied for"
    COURT_WINDOW_NOT_OPEN = "COURT_WINDOW_NOT_OPEN", (
        "an application to the court before the review and litigation windows (or the payment plan) ended")
    REMINDER_REQUIRED = "REMINDER_REQUIRED", (
        "an application to the court without a written reminder served at least the configured days before")
    TRANSFER_UNANSWERED = "TRANSFER_UNANSWERED", (
        "a case transferred as a suspected crime closed with a fine alone before the transfer was answered")
    UNKNOWN_EVIDENCE = "UNKNOWN_EVIDENCE", "evidence referred to by a case that does not exist"

    # Operations (the command line only: ecoinspect db backup|restore)
    BACKUP_INVALID = "BACKUP_INVALID", (
        "a backup archive that is not one, or whose contents do not match its manifest's counts and hashes")
    RESTORE_TARGET_NOT_EMPTY = "RESTORE_TARGET_NOT_EMPTY", (
        "a restore into a database that holds documents, without --force")
    # Positive-list membership (docs/policies.md)
    NOT_ELIGIBLE = "NOT_ELIGIBLE", (
        "an admission to the positive list of an enterprise that the positive_list policy in force does not find "
        "eligible (or has not decided yet)")
    ALREADY_ON_LIST = "ALREADY_ON_LIST", "an admission of an enterprise already on the positive list for that period"
    NOT_ON_LIST = "NOT_ON_LIST", "a removal of an enterprise that is not on the positive list"
