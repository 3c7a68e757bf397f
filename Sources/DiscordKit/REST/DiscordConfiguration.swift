/// Where and how a ``DiscordRESTClient`` talks to Discord.
public struct DiscordConfiguration: Sendable {
    /// The bot's token (never logged).
    public var token: BotToken
    /// `https://discord.com/api/v10`; an emulator's URL in tests.
    public var apiBaseURL: String
    /// Discord requires `DiscordBot (URL, version)`.
    public var userAgent: String
    /// The longest a call without files may take as a whole (calls with files: `transferTimeout`).
    public var requestTimeout: Duration
    /// How long Discord or its CDN may keep a transfer waiting (no answer, no next piece) before it fails with
    /// ``DiscordRESTError/stalled(route:seconds:)``. The reader's own pauses do not count.
    public var stallTimeout: Duration
    /// The longest a call with files, or an attachment download, may take as a whole, however steadily it moves.
    public var transferTimeout: Duration
    /// How many times one request waits out a 429 before failing.
    public var maxRateLimitRetries: Int
    /// How many times a 5xx or a dropped connection is retried (idempotent requests and reopenable bodies only).
    public var maxServerErrorRetries: Int
    /// First backoff after a 5xx; doubled each retry.
    public var serverErrorBackoff: Duration
    /// Invalid responses (401/403/429) allowed per 10 minutes before sending pauses.
    public var invalidRequestLimit: Int

    /// A configuration; see each property.
    public init(
        token: BotToken, apiBaseURL: String = "https://discord.com/api/v10",
        userAgent: String = "DiscordBot (https://github.com/seed/seed, 1.0)",
        requestTimeout: Duration = .seconds(300), maxRateLimitRetries: Int = 5, maxServerErrorRetries: Int = 3,
        serverErrorBackoff: Duration = .milliseconds(500), invalidRequestLimit: Int = 2_500,
        stallTimeout: Duration = .seconds(60), transferTimeout: Duration = .seconds(3600)
    ) {
        self.stallTimeout = stallTimeout
        self.transferTimeout = transferTimeout
        self.token = token
        self.apiBaseURL = apiBaseURL.hasSuffix("/") ? String(apiBaseURL.dropLast()) : apiBaseURL
        self.userAgent = userAgent
        self.requestTimeout = requestTimeout
        self.maxRateLimitRetries = maxRateLimitRetries
        self.maxServerErrorRetries = maxServerErrorRetries
        self.serverErrorBackoff = serverErrorBackoff
        self.invalidRequestLimit = invalidRequestLimit
    }
}
