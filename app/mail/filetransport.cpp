#include "app/mail/filetransport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace roster {

namespace {

// The files carry working invitation links: every folder this transport creates is 0700 and
// every file 0600 from the moment it exists (the mode is given to mkdir/open; the umask can only
// take bits away), never chmod'ed afterwards.
bool makePrivatePath(const QString &directory)
{
    const QString path = QDir::cleanPath(QFileInfo(directory).absoluteFilePath());
    QStringList missing;
    QString probe = path;
    while (!QFileInfo::exists(probe)) {
        missing.prepend(probe);
        const QString parent = QFileInfo(probe).path();
        if (parent == probe)
            break;
        probe = parent;
    }
    for (const QString &dir : std::as_const(missing)) {
        if (::mkdir(QFile::encodeName(dir).constData(), 0700) != 0 && errno != EEXIST)
            return false;
    }
    return QFileInfo(path).isDir();
}

// Writes `data` to `path` atomically: a 0600 temporary file made with O_EXCL in the same folder,
// flushed, then renamed over the target, so readers never see half a message. Empty on success,
// else the reason (strerror).
QString writePrivateFile(const QString &path, const QByteArray &data)
{
    const QByteArray target = QFile::encodeName(path);
    QByteArray temp;
    int fd = -1;
    for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
        temp = target + ".tmp-" + QByteArray::number(QRandomGenerator::system()->generate64(), 36);
        fd = ::open(temp.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0)
        return QString::fromLocal8Bit(std::strerror(errno));
    auto failWith = [&](int err) {
        ::close(fd);
        ::unlink(temp.constData());
        return QString::fromLocal8Bit(std::strerror(err));
    };
    for (qsizetype done = 0; done < data.size();) {
        const ssize_t n = ::write(fd, data.constData() + done, size_t(data.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return failWith(n < 0 ? errno : EIO);
        done += n;
    }
    if (::fsync(fd) != 0)
        return failWith(errno);
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(temp.constData());
        return QString::fromLocal8Bit(std::strerror(err));
    }
    if (::rename(temp.constData(), target.constData()) != 0) {
        const int err = errno;
        ::unlink(temp.constData());
        return QString::fromLocal8Bit(std::strerror(err));
    }
    return {};
}

} // namespace

FileTransport::FileTransport(QString directory)
    : m_directory(std::move(directory)), m_now([] { return QDateTime::currentDateTime(); })
{}

QString FileTransport::fileName(const OutgoingMessage &message, const QDateTime &time)
{
    QString id;
    for (char c : message.messageId.left(200)) {
        const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '.' || c == '@' || c == '-' || c == '_' ||
                          c == '+';
        id += safe ? QChar::fromLatin1(c) : QChar(u'_');
    }
    // The timestamp in front keeps even ".." from being a path of its own.
    if (id.isEmpty())
        id = QStringLiteral("message-%1").arg(message.outboxId);
    return time.toString(u"yyyyMMdd-HHmmss") + u'-' + id + u".eml";
}

QList<DeliveryResult> FileTransport::deliver(const QList<OutgoingMessage> &messages)
{
    QList<DeliveryResult> results;
    results.reserve(messages.size());
    const QString shownDirectory = QDir::toNativeSeparators(m_directory);

    auto folderError = [&](const QString &reason) {
        DeliveryResult result;
        result.outcome = DeliveryResult::Outcome::Temporary;
        result.connectionError = true;
        result.reply = tr("Cannot write to %1: %2").arg(shownDirectory, reason);
        return result;
    };

    QString folderProblem;
    if (m_directory.isEmpty()) {
        folderProblem = tr("No mail folder is configured: run \u201crosterctl mail configure "
                           "--transport file --dir DIR\u201d.");
    } else if (!makePrivatePath(m_directory)) {
        const QFileInfo info(m_directory);
        folderProblem =
            info.exists() && !info.isDir()
                ? tr("Cannot write to %1: it is a file, not a folder").arg(shownDirectory)
                : tr("Cannot create the folder %1: check that its parent exists "
                     "and is writable")
                      .arg(shownDirectory);
    }

    for (const OutgoingMessage &message : messages) {
        if (folderProblem.isEmpty() && abortRequested())
            folderProblem = tr("The delivery was stopped.");
        if (!folderProblem.isEmpty()) {
            DeliveryResult result = folderError(QString());
            result.reply = folderProblem;
            results.append(result);
            continue;
        }
        if (message.data.isEmpty()) {
            DeliveryResult result;
            result.outcome = DeliveryResult::Outcome::Permanent;
            result.reply = tr("The message is empty.");
            results.append(result);
            continue;
        }
        const QString path = QDir(m_directory).filePath(fileName(message, m_now()));
        if (const QString reason = writePrivateFile(path, message.data); !reason.isEmpty()) {
            // One line, without the temporary file's name, which nobody needs to see.
            results.append(folderError(reason.simplified()));
            continue;
        }
        DeliveryResult result;
        result.outcome = DeliveryResult::Outcome::Sent;
        result.reply = tr("Written to %1").arg(QDir::toNativeSeparators(path));
        results.append(result);
        if (!reportResult(results.size() - 1, result))
            folderProblem = tr("The delivery was stopped.");
    }
    return results;
}

} // namespace roster
