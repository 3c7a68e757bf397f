/// Where and how a ``DiscordRESTClient`` talks to Discord.
public struct DiscordConfiguration: Sendable {
    public var token: BotToken
    /// `https://discord.com/api/v10`; an emulator's URL in tests.
    public var apiBaseURL: String
    /// Discord requires `DiscordBot (URL, version)`.
    public var userAgent: String
    /// Per-request timeout (a whole attachment upload included).
    public var requestTimeout: Duration
    /// How many times one request waits out a 429 before failing.
    public var maxRateLimitRetries: Int
    /// How many times a 5xx or a dropped connection is retried (idempotent requests and reopenable bodies only).
    public var maxServerErrorRetries: Int
    /// First backoff after a 5xx; doubled each retry.
    public var serverErrorBackoff: Duration
    /// Invalid responses (401/403/429) allowed per 10 minutes before sending pauses.
    public var invalidRequestLimit: Int

    public init(
        token: BotToken, apiBaseURL: String = "https://discord.com/api/v10",
        userAgent: String = "DiscordBot (https://github.com/seed/seed, 1.0)",
        requestTimeout: Duration = .seconds(300), maxRateLimitRetries: Int = 5, maxServerErrorRetries: Int = 3,
        serverErrorBackoff: Duration = .milliseconds(500), invalidRequestLimit: Int = 2_500
    ) {
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
