import HTTPTypes
import Hummingbird

/// Before every route: refuses addresses that failed too often; turns not-valid links (counted as failures) and
/// unknown paths (not counted) into the one 404 page; adds the headers every answer carries.
struct WebGuard: RouterMiddleware {
    typealias Context = WebRequestContext
    let frontEnd: WebFrontEnd

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let address = self.frontEnd.clientAddress(request, context)
        var response: Response
        let (allowed, wait) = self.frontEnd.limiter.allows(address)
        let json = WebFrontEnd.wantsJSON(request)
        if !allowed {
            response = WebFrontEnd.tooManyAttempts(seconds: wait, json: json)
        } else {
            do {
                response = try await next(request, context)
            } catch is LinkNotValid {
                self.frontEnd.limiter.fail(address)
                response = WebFrontEnd.notFound(json: json)
            } catch let error as HTTPError where error.status == .notFound {
                if let methods = WebRoutes.allowedMethods(path: Substring(request.uri.path)), !methods.contains(request.method) {
                    // A link's shape with another method: said so (not counted either; the token was not looked at).
                    response = WebFrontEnd.methodNotAllowed(methods, json: json)
                } else {
                    // A path that is no link guesses no token (a browser asks for /favicon.ico on every page it opens):
                    // the same page, but not counted against the address, which would lock its links out.
                    response = WebFrontEnd.notFound(json: json)
                }
            }
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[HTTPField.Name("X-Robots-Tag")!] = "noindex, nofollow, noarchive"
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'"
        }
        return response
    }
}

/// A link that does not lead anywhere: answered with the 404 page, counted against the address.
struct LinkNotValid: Error {}
