// The test support library's own helpers, where a wrong answer would make other suites flaky.
#include "tests/support/testsupport.h"

#include <QDateTime>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace testsupport;

class TestSupport : public QObject
{
    Q_OBJECT

private slots:
    // Two messages written within one tick of the file system's clock share their mtime. The
    // file transport names each file after its clock, so the later message still comes last.
    void emlFilesKeepWriteOrderWhenTimesTie()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QStringList names{QStringLiteral("20261201-100000-aaa.eml"),
                                QStringLiteral("20261201-101000-bbb.eml"),
                                QStringLiteral("20261201-102000-ccc.eml")};
        const QDateTime same = QDateTime::currentDateTime().addSecs(-60);
        for (const QString &n : names) {
            QFile f(dir.filePath(n));
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.setFileTime(same, QFileDevice::FileModificationTime));
        }
        // An older file with a later name still sorts first: the mtime decides when it differs.
        QFile older(dir.filePath(QStringLiteral("20261201-235959-zzz.eml")));
        QVERIFY(older.open(QIODevice::WriteOnly));
        QVERIFY(older.setFileTime(same.addSecs(-30), QFileDevice::FileModificationTime));
        older.close();

        QStringList got;
        for (const QString &p : emlFiles(dir.path()))
            got << p.section(u'/', -1);
        QCOMPARE(got, QStringList{QStringLiteral("20261201-235959-zzz.eml")} + names);
    }
};

QTEST_GUILESS_MAIN(TestSupport)
#include "tst_testsupport.moc"
