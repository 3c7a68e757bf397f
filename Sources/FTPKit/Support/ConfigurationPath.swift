package import Foundation

/// Paths named inside a configuration file are the file's neighbours: taken from the file's own directory, where
/// it and the files it names usually live, whatever directory the program starts in (a systemd unit starts in `/`,
/// where ftpd's `"root": "root"` would otherwise serve `/root`). Shared by ftpd's and ftpbot's configuration files;
/// paths from the command line and the environment stay relative to the working directory.
package struct ConfigurationPath: Sendable {
    /// The configuration file's directory.
    package let directory: URL

    /// For the configuration file at `file`.
    package init(file: String) { self.directory = URL(fileURLWithPath: file).deletingLastPathComponent() }

    /// `path` as the file means it: absolute paths unchanged, relative ones beside the file.
    package func resolve(_ path: String?) -> String? {
        path.map { $0.hasPrefix("/") ? $0 : self.directory.appendingPathComponent($0).standardizedFileURL.path }
    }
}
