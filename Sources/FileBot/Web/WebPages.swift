import Foundation

/// The HTML the web front end serves: self-contained (no external script, font or style), every
/// user-controlled string escaped, scripts and styles allowed only by the response's CSP nonce.
enum WebPages {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static let style = """
        body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}
        h1{font-size:1.4rem}#drop{border:2px dashed #999;border-radius:8px;padding:2rem;text-align:center}
        #drop.over{border-color:#36c;background:#eef4ff}progress{width:100%;height:1.2rem;margin-top:1rem}
        #result{margin-top:1rem}#result dt{font-weight:600}#result dd{margin:0 0 .5rem 0;word-break:break-all}
        .error{color:#b00}.muted{color:#666;font-size:.9rem}
        """

    static func page(title: String, nonce: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <meta name="referrer" content="no-referrer"><title>\(self.escape(title))</title>
        <style nonce="\(nonce)">\(self.style)</style></head>
        <body>\(body)</body></html>
        """
    }

    /// The one answer for every link that does not verify (unknown, forged, expired, revoked, used).
    static let notFoundSentence = "This link does not exist or is no longer valid."

    static func notFound(nonce: String) -> String {
        self.page(title: "Not found", nonce: nonce, body: "<h1>Not found</h1><p>\(Self.notFoundSentence)</p>")
    }

    static let homeSentence = "This address serves the download links and upload pages the file bot makes. "
        + "To get one, ask the bot in your chat: its link command for a stored file, its uploadlink command for a page to upload one."

    static func home(nonce: String) -> String {
        self.page(title: "File links", nonce: nonce, body: "<h1>File links</h1><p>\(Self.homeSentence)</p>")
    }

    static func methodNotAllowedSentence(allowed: String) -> String {
        "This address does not take that kind of request; it takes \(allowed)."
    }

    static func methodNotAllowed(nonce: String, allowed: String) -> String {
        self.page(title: "Not allowed", nonce: nonce,
                  body: "<h1>Not allowed</h1><p>\(self.escape(Self.methodNotAllowedSentence(allowed: allowed)))</p>")
    }

    static func tooManyAttemptsSentence(seconds: Int) -> String { "Too many attempts; try again in \(seconds) seconds." }

    static func tooManyAttempts(nonce: String, seconds: Int) -> String {
        self.page(title: "Too many attempts", nonce: nonce,
                  body: "<h1>Too many attempts</h1><p>Try again in \(seconds) seconds.</p>")
    }

    static func result(nonce: String, stored: StoredFile) -> String {
        self.page(title: "Stored", nonce: nonce, body: """
            <h1>Stored</h1><dl id="result"><dt>Name</dt><dd>\(self.escape(stored.row.name))</dd>
            <dt>Size</dt><dd>\(self.escape(Format.bytes(stored.row.size)))</dd>
            <dt>SHA-256</dt><dd>\(self.escape(stored.row.sha256 ?? "-"))</dd>
            <dt>Nodes</dt><dd>\(self.escape(stored.row.nodes.joined(separator: ", ")))</dd></dl>
            """)
    }

    static func failure(nonce: String, sentence: String) -> String {
        self.page(title: "Not stored", nonce: nonce, body: "<h1>Not stored</h1><p class=\"error\">\(self.escape(sentence))</p>")
    }

    /// The upload page: pick or drop a file, watch it go, see what was stored.
    static func upload(nonce: String, space: String, maxBytes: UInt64?, expires: Date) -> String {
        let limit = maxBytes.map { "Up to \(Format.bytes($0)) per file. " } ?? ""
        let body = """
            <h1>Upload a file</h1>
            <p class="muted">Into <b>\(self.escape(space))</b>. \(self.escape(limit))This page works once and until \(self.escape(Format.date(expires))).</p>
            <form id="form" method="post" enctype="multipart/form-data">
            <div id="drop"><p>Drop a file here, or</p><input type="file" id="file" name="file" required>
            <p><button type="submit" id="send">Upload</button></p></div></form>
            <progress id="bar" max="100" value="0" hidden></progress><p id="status" role="status"></p>
            <dl id="result" hidden><dt>Name</dt><dd id="r-name"></dd><dt>Size</dt><dd id="r-size"></dd>
            <dt>SHA-256</dt><dd id="r-sha"></dd><dt>Nodes</dt><dd id="r-nodes"></dd></dl>
            <script nonce="\(nonce)">
            (function () {
              var form = document.getElementById('form'), input = document.getElementById('file');
              var drop = document.getElementById('drop'), bar = document.getElementById('bar');
              var status = document.getElementById('status'), send = document.getElementById('send');
              function say(text, bad) { status.textContent = text; status.className = bad ? 'error' : ''; }
              function human(n) { var u = ['B','KiB','MiB','GiB','TiB'], i = 0; while (n >= 1024 && i < 4) { n /= 1024; i++; }
                return i ? n.toFixed(1) + ' ' + u[i] : n + ' B'; }
              function upload(file) {
                var data = new FormData(); data.append('size', String(file.size)); data.append('file', file, file.name);
                var xhr = new XMLHttpRequest(); xhr.open('POST', window.location.pathname);
                xhr.setRequestHeader('Accept', 'application/json');
                bar.hidden = false; bar.value = 0; send.disabled = true; say('Uploading ' + file.name + '…');
                xhr.upload.onprogress = function (e) { if (e.lengthComputable) { bar.value = Math.floor(e.loaded * 100 / e.total);
                  say('Uploading ' + file.name + ': ' + human(e.loaded) + ' of ' + human(e.total)); } };
                xhr.onload = function () {
                  var answer = {}; try { answer = JSON.parse(xhr.responseText); } catch (e) {}
                  if (xhr.status >= 200 && xhr.status < 300) {
                    bar.value = 100; say('Stored.');
                    document.getElementById('r-name').textContent = answer.name;
                    document.getElementById('r-size').textContent = human(answer.size);
                    document.getElementById('r-sha').textContent = answer.sha256;
                    document.getElementById('r-nodes').textContent = (answer.nodes || []).join(', ');
                    document.getElementById('result').hidden = false; form.hidden = true;
                  } else { say(answer.error || ('The upload failed (' + xhr.status + ').'), true); send.disabled = false; }
                };
                xhr.onerror = function () { say('The connection was lost; nothing was stored.', true); send.disabled = false; };
                xhr.send(data);
              }
              form.addEventListener('submit', function (e) { e.preventDefault(); if (input.files.length) upload(input.files[0]); });
              ['dragenter','dragover'].forEach(function (t) { drop.addEventListener(t, function (e) { e.preventDefault(); drop.className = 'over'; }); });
              ['dragleave','drop'].forEach(function (t) { drop.addEventListener(t, function (e) { e.preventDefault(); drop.className = ''; }); });
              drop.addEventListener('drop', function (e) { if (e.dataTransfer.files.length) upload(e.dataTransfer.files[0]); });
            })();
            </script>
            """
        return self.page(title: "Upload a file", nonce: nonce, body: body)
    }
}
