// Sends N invitation-sized messages through SmtpTransport over one connection to smtp-sink on
// loopback, then times Postfix's smtp-source (one session) and a Python smtplib loop (one
// connection) against the same sink, and prints messages per second and the ratios.
#include "app/mail/smtp/smtptransport.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <cstdio>
#include <unistd.h>

using namespace roster;

namespace {

QByteArray invitationData(int i, int targetSize)
{
    const QByteArray n = QByteArray::number(i);
    QByteArray text = "Hello User " + n +
                      ",\r\n\r\nAda Admin invited you to Example Corp's CRM. Accept the invitation "
                      "before 2030-01-08:\r\n\r\nhttps://crm.example.org/accept?token=" +
                      QByteArray(43, 'a') + "\r\n\r\nThis link expires in 7 days.\r\n";
    QByteArray html =
        "<html><body><p>Hello User " + n +
        ",</p><p>Ada Admin invited you to Example Corp's CRM.</p><p><a href=\"https://"
        "crm.example.org/accept?token=" +
        QByteArray(43, 'a') + "\">Accept the invitation</a></p></body></html>";
    QByteArray head = "From: Example Corp <crm@example.org>\r\n"
                      "To: User " +
                      n + " <user" + n +
                      "@example.net>\r\n"
                      "Subject: You are invited to Example Corp's CRM\r\n"
                      "Date: Thu, 01 Jan 2030 10:00:00 +0000\r\n"
                      "Message-ID: <inv-" +
                      n +
                      "@example.org>\r\n"
                      "MIME-Version: 1.0\r\n"
                      "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n";
    QByteArray body = "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
                      "Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
                      text +
                      "\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\n";
    // Pad the HTML part to reach the target size, in 76-column base64 lines.
    QByteArray b64;
    const QByteArray htmlB64 = html.toBase64();
    const qsizetype room = targetSize - head.size() - body.size() - 12;
    while (b64.size() < room)
        b64 += htmlB64;
    b64.truncate(std::max<qsizetype>(room, 76));
    QByteArray lines;
    for (qsizetype p = 0; p < b64.size(); p += 76)
        lines += b64.mid(p, 76) + "\r\n";
    return head + body + lines + "--b1--\r\n";
}

quint16 freePort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

bool waitListening(quint16 port)
{
    for (int i = 0; i < 200; ++i) {
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, port);
        if (probe.waitForConnected(200))
            return true;
        QThread::msleep(25);
    }
    return false;
}

double runProcess(const QString &program, const QStringList &args, QByteArray *out = nullptr)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    QElapsedTimer t;
    t.start();
    p.start(program, args);
    if (!p.waitForFinished(-1) || p.exitCode() != 0) {
        std::fprintf(stderr, "%s failed: %s\n", qPrintable(program), p.readAll().constData());
        return -1;
    }
    const double secs = double(t.nsecsElapsed()) / 1e9;
    if (out)
        *out = p.readAll();
    return secs;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser cli;
    cli.setApplicationDescription(u"SMTP throughput against Postfix smtp-sink on loopback"_qs);
    cli.addHelpOption();
    cli.addOption(
        {{u"n"_qs, u"count"_qs}, u"Messages per run (default 10000)."_qs, u"N"_qs, u"10000"_qs});
    cli.addOption({{u"s"_qs, u"size"_qs},
                   u"Message size in octets (default 3000)."_qs,
                   u"BYTES"_qs,
                   u"3000"_qs});
    cli.process(app);
    const int n = cli.value(u"count"_qs).toInt();
    const int size = cli.value(u"size"_qs).toInt();
    if (n <= 0 || size < 500)
        cli.showHelp(2);

    const quint16 port = freePort();
    QStringList sinkArgs;
    if (::geteuid() == 0)
        sinkArgs << u"-u"_qs << u"nobody"_qs;
    sinkArgs << u"127.0.0.1:"_qs + QString::number(port) << u"256"_qs;
    QProcess sink;
    sink.setProcessChannelMode(QProcess::ForwardedChannels);
    sink.start(u"/usr/sbin/smtp-sink"_qs, sinkArgs);
    if (!waitListening(port)) {
        std::fprintf(stderr, "smtp-sink did not start (Debian package postfix)\n");
        return 1;
    }

    QList<OutgoingMessage> messages;
    messages.reserve(n);
    for (int i = 0; i < n; ++i) {
        OutgoingMessage m;
        m.outboxId = i + 1;
        m.envelopeFrom = "crm@example.org";
        m.recipients = {"user" + QByteArray::number(i) + "@example.net"};
        m.data = invitationData(i, size);
        m.messageId = "inv-" + QByteArray::number(i) + "@example.org";
        messages << m;
    }
    std::printf("%d messages of %lld octets, one connection each, smtp-sink on 127.0.0.1:%u\n", n,
                static_cast<long long>(messages.first().data.size()), port);

    // 1. Roster's client.
    SmtpSettings s;
    s.host = u"127.0.0.1"_qs;
    s.port = port;
    s.security = SmtpSettings::Security::None;
    SmtpTransport transport(s);
    QElapsedTimer t;
    t.start();
    const QList<DeliveryResult> results = transport.deliver(messages);
    const double ours = double(t.nsecsElapsed()) / 1e9;
    int sent = 0;
    for (const DeliveryResult &r : results)
        sent += r.outcome == DeliveryResult::Outcome::Sent;
    if (sent != n) {
        std::fprintf(stderr, "only %d of %d sent: %s\n", sent, n,
                     qPrintable(results.isEmpty() ? QString() : results.last().reply));
        return 1;
    }

    // 2. Postfix smtp-source, one session, same count, similar size.
    const double source =
        runProcess(u"/usr/sbin/smtp-source"_qs,
                   {u"-s"_qs, u"1"_qs, u"-m"_qs, QString::number(n), u"-l"_qs,
                    QString::number(size), u"-f"_qs, u"crm@example.org"_qs, u"-t"_qs,
                    u"user@example.net"_qs, u"127.0.0.1:"_qs + QString::number(port)});

    // 3. Python smtplib on one connection (timed inside Python: no interpreter start-up).
    const QString py =
        QStringLiteral("import smtplib, sys, time\n"
                       "n, size, port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])\n"
                       "body = ('x' * 75 + '\\r\\n') * (size // 77)\n"
                       "s = smtplib.SMTP('127.0.0.1', port)\n"
                       "t = time.perf_counter()\n"
                       "for i in range(n):\n"
                       "    msg = 'From: crm@example.org\\r\\nTo: user%d@example.net\\r\\nSubject: "
                       "hi\\r\\n\\r\\n%s'"
                       " % (i, body)\n"
                       "    s.sendmail('crm@example.org', ['user%d@example.net' % i], msg)\n"
                       "s.quit()\n"
                       "print(time.perf_counter() - t)\n");
    QByteArray pyOut;
    const double smtplibWall = runProcess(
        u"/usr/bin/python3"_qs,
        {u"-c"_qs, py, QString::number(n), QString::number(size), QString::number(port)}, &pyOut);
    const double smtplib = smtplibWall < 0 ? -1 : pyOut.trimmed().toDouble();

    sink.terminate();
    sink.waitForFinished(5000);

    const auto rate = [n](double secs) { return secs > 0 ? n / secs : 0.0; };
    std::printf("roster SmtpTransport : %9.0f msg/s (%.3f s)\n", rate(ours), ours);
    std::printf("postfix smtp-source  : %9.0f msg/s (%.3f s)\n", rate(source), source);
    std::printf("python smtplib       : %9.0f msg/s (%.3f s)\n", rate(smtplib), smtplib);
    std::printf("ratio vs smtp-source : %6.2fx (target >= 1.0x)\n",
                source > 0 ? source / ours : 0.0);
    std::printf("ratio vs smtplib     : %6.2fx (target >= 2.0x)\n",
                smtplib > 0 ? smtplib / ours : 0.0);
    return 0;
}
