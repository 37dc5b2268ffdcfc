// Every string the Users page shows goes through tr(): with a pseudo-translation installed (each
// string lupdate finds, "translated" as "@@" + itself, built from the sources at build time),
// every visible text of the page, its menus and dialogs must start with the marker. And the
// German translation loads, for the console and for rosterctl's contexts. And every string lupdate
// finds is in roster_de.ts and roster_fr.ts, translated, with its placeholders, accelerator and
// HTML tags kept; no entry there is left over from a string the sources no longer have.

#include "guiorg.h"

#include "models/userstablemodel.h"
#include "translations/translator.h"
#include "ui/adduserdialog.h"
#include "ui/mainwindow.h"
#include "ui/userspage.h"
#include "ui/userstableview.h"

#include <QAbstractButton>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLibraryInfo>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QRegularExpression>
#include <QStatusBar>
#include <QTimer>
#include <QTreeWidget>
#include <QXmlStreamReader>

using namespace roster;
using namespace roster::test;

namespace {
const QString marker = QStringLiteral("@@");

// Data, not text: names, emails, numbers, the organisation's name.
bool isData(const QString &text)
{
    static const QRegularExpression dataLike(
        QStringLiteral(R"(^[\d\s.,:;%()\-–—…·/]*$|@[\w.-]+\.\w+$)"));
    return text.trimmed().isEmpty() || dataLike.match(text.trimmed()).hasMatch();
}

// One <message> of a .ts file.
struct TsMessage
{
    QString context;
    QString source;
    QString comment;
    QString type;             // "unfinished", "vanished", "obsolete" or empty (finished)
    QStringList translations; // one, or one per plural form
};

QString key(const TsMessage &m)
{
    return m.context + u'\x1f' + m.source + u'\x1f' + m.comment;
}

QList<TsMessage> readTs(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = path + QStringLiteral(": ") + f.errorString();
        return {};
    }
    QList<TsMessage> messages;
    QString context;
    QXmlStreamReader xml(&f);
    while (!xml.atEnd()) {
        if (xml.readNext() != QXmlStreamReader::StartElement)
            continue;
        if (xml.name() == u"name") { // of a <context>
            context = xml.readElementText();
            continue;
        }
        if (xml.name() != u"message")
            continue;
        TsMessage m;
        m.context = context;
        while (xml.readNextStartElement()) {
            if (xml.name() == u"source") {
                m.source = xml.readElementText();
            } else if (xml.name() == u"comment") {
                m.comment = xml.readElementText();
            } else if (xml.name() == u"translation") {
                m.type = xml.attributes().value(QStringLiteral("type")).toString();
                QString text;
                bool forms = false;
                while (!xml.atEnd()) {
                    xml.readNext();
                    if (xml.isEndElement() && xml.name() == u"translation")
                        break;
                    if (xml.isStartElement() && xml.name() == u"numerusform") {
                        forms = true;
                        m.translations << xml.readElementText();
                    } else if (xml.isCharacters() && !forms) {
                        text += xml.text();
                    }
                }
                if (!forms)
                    m.translations << text;
            } else {
                xml.skipCurrentElement();
            }
        }
        messages << m;
    }
    if (xml.hasError())
        *error = path + QStringLiteral(": ") + xml.errorString();
    return messages;
}

// What a translation must keep of its source: the placeholders (%1, %L1, %n), the number of
// accelerators (&x; "&&" is a literal ampersand) and the HTML tags.
QString shape(const QString &text)
{
    static const QRegularExpression placeholder(QStringLiteral(R"(%L?(\d+|n))"));
    static const QRegularExpression accelerator(QStringLiteral(R"(&(?![\s&]|[a-z]+;))"));
    static const QRegularExpression tag(
        QStringLiteral(R"(</?(?:a|b|br|code|div|h\d|i|li|p|span|table|td|th|tr|tt|ul)\b[^>]*>)"));
    QStringList numbers;
    for (auto it = placeholder.globalMatch(text); it.hasNext();)
        numbers << it.next().captured(1);
    numbers.removeDuplicates();
    numbers.sort();
    QStringList tags;
    for (auto it = tag.globalMatch(text); it.hasNext();)
        tags << it.next().captured(0);
    tags.sort();
    QString stripped = text;
    stripped.replace(QStringLiteral("&&"), QString());
    return QStringLiteral("placeholders %1; accelerators %2; tags %3")
        .arg(numbers.join(u','))
        .arg(stripped.count(accelerator))
        .arg(tags.join(QString()));
}
} // namespace

class TestTranslations final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void usersPageStringsAreTranslatable();
    void rowMenuStringsAreTranslatable();
    void addUserDialogStringsAreTranslatable();
    void germanLoads();
    void noEnglishPluralShortcuts();
    void everyStringIsTranslated_data();
    void everyStringIsTranslated();

private:
    void check(const QString &where, const QString &text);
    void checkWidgetTree(QWidget *root);
    void checkActions(const QList<QAction *> &actions, const QString &where);

    std::unique_ptr<Org> m_org;
    std::unique_ptr<MainWindow> m_window;
    QStringList m_unmarked;
};

void TestTranslations::init()
{
    removeTranslations();
    QVERIFY2(QFile::exists(QStringLiteral(ROSTER_PSEUDO_QM)), ROSTER_PSEUDO_QM);
    QVERIFY(installTranslationFile(QStringLiteral(ROSTER_PSEUDO_QM)));
    m_org = std::make_unique<Org>();
    QVERIFY(m_org->create());
    QVERIFY(m_org->add(QStringLiteral("Pat Pending"), QStringLiteral("pat@example.com")));
    QVERIFY(m_org->add(QStringLiteral("Eve Early"), QStringLiteral("eve@example.com")));
    auto guiDb = m_org->db->reopen();
    QVERIFY(guiDb);
    m_window =
        std::make_unique<MainWindow>(std::move(guiDb).value(), m_org->clock, m_org->admin, false);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_unmarked.clear();
}

void TestTranslations::cleanup()
{
    m_window.reset();
    m_org.reset();
    removeTranslations();
}

void TestTranslations::check(const QString &where, const QString &text)
{
    if (isData(text) || text.startsWith(marker))
        return;
    // Composite texts (“@@Signed in as ada@…”) start with the marker; anything else did not go
    // through tr().
    m_unmarked.append(where + QStringLiteral(": ") + text);
}

void TestTranslations::checkActions(const QList<QAction *> &actions, const QString &where)
{
    for (QAction *a : actions) {
        if (a->isSeparator())
            continue;
        const QString name = where + u'/' + a->text();
        check(name + QStringLiteral(" (text)"), a->text());
        check(name + QStringLiteral(" (tooltip)"), a->toolTip());
        check(name + QStringLiteral(" (status tip)"), a->statusTip());
        if (a->menu())
            checkActions(a->menu()->actions(), name);
    }
}

void TestTranslations::checkWidgetTree(QWidget *root)
{
    QList<QWidget *> widgets = root->findChildren<QWidget *>();
    widgets.prepend(root);
    for (QWidget *w : std::as_const(widgets)) {
        if (!w->isVisibleTo(root) && w != root)
            continue;
        const QString where = QString::fromLatin1(w->metaObject()->className()) + u' ' +
                              (w->objectName().isEmpty() ? QStringLiteral("?") : w->objectName());
        if (w->isWindow())
            check(where + QStringLiteral(" (title)"), w->windowTitle());
        check(where + QStringLiteral(" (tooltip)"), w->toolTip());
        check(where + QStringLiteral(" (accessible name)"), w->accessibleName());
        check(where + QStringLiteral(" (accessible description)"), w->accessibleDescription());
        if (auto *l = qobject_cast<QLabel *>(w)) {
            check(where, l->text());
        } else if (auto *b = qobject_cast<QAbstractButton *>(w)) {
            // OK / Cancel of a button box come from Qt's own translations.
            auto *box = qobject_cast<QDialogButtonBox *>(b->parentWidget());
            if (!box || box->standardButton(b) == QDialogButtonBox::NoButton)
                check(where, b->text());
        } else if (auto *e = qobject_cast<QLineEdit *>(w)) {
            check(where + QStringLiteral(" (placeholder)"), e->placeholderText());
        } else if (auto *c = qobject_cast<QComboBox *>(w)) {
            // Profile names are the organisation's own data (the database's rows), like names.
            if (!c->isEditable() && c->objectName() != u"profileCombo")
                for (int i = 0; i < c->count(); ++i)
                    check(where + QStringLiteral(" item"), c->itemText(i));
        } else if (auto *g = qobject_cast<QGroupBox *>(w)) {
            check(where, g->title());
        } else if (auto *h = qobject_cast<QHeaderView *>(w); h && h->model()) {
            for (int s = 0; s < h->count(); ++s)
                if (!h->isSectionHidden(s)) {
                    check(where + QStringLiteral(" section"),
                          h->model()->headerData(s, h->orientation()).toString());
                    check(where + QStringLiteral(" section (accessible)"),
                          h->model()
                              ->headerData(s, h->orientation(), Qt::AccessibleTextRole)
                              .toString());
                }
        } else if (auto *t = qobject_cast<QTreeWidget *>(w)) {
            for (QTreeWidgetItemIterator it(t); *it; ++it)
                check(where + QStringLiteral(" item"), (*it)->text(0));
        }
        checkActions(w->actions(), where);
    }
}

void TestTranslations::usersPageStringsAreTranslatable()
{
    // The walk sees the pseudo-translation at all.
    auto *add =
        m_window->usersPage()->findChild<QAbstractButton *>(QStringLiteral("addUserButton"));
    QVERIFY(add);
    QVERIFY2(add->text().startsWith(marker), qPrintable(add->text()));
    checkWidgetTree(m_window.get());
    checkActions(m_window->menuBar()->actions(), QStringLiteral("menu bar"));
    // Every view: its count label and the columns it shows.
    auto *combo = m_window->usersPage()->findChild<QComboBox *>(QStringLiteral("viewCombo"));
    QVERIFY(combo);
    for (int i = 0; i < combo->count(); ++i) {
        combo->setCurrentIndex(i);
        QTRY_COMPARE(int(m_window->usersPage()->model()->shownFilter().view),
                     combo->itemData(i).toInt());
        QTRY_VERIFY(!m_window->usersPage()->model()->isLoading());
        checkWidgetTree(m_window->usersPage());
    }
    // Cell texts that are words, not data: status badge sentences, mail states, tooltips.
    auto *view = m_window->usersPage()->view();
    for (int c = 0; c < view->model()->columnCount(); ++c) {
        const QModelIndex i = view->model()->index(0, c);
        if (c == 3 /* Status */)
            check(QStringLiteral("status cell"), i.data().toString());
        check(QStringLiteral("cell %1 (accessible description)").arg(c),
              c == 0 || c == 1 ? QString() : i.data(Qt::AccessibleDescriptionRole).toString());
    }
    // F5 and the status bar.
    m_window->refreshCurrent();
    check(QStringLiteral("status bar"), m_window->statusBar()->currentMessage());
    QVERIFY2(m_unmarked.isEmpty(), qPrintable(m_unmarked.join(u'\n')));
}

void TestTranslations::rowMenuStringsAreTranslatable()
{
    UsersPage *page = m_window->usersPage();
    for (int row = 0; row < page->view()->model()->rowCount(); ++row) {
        std::unique_ptr<QMenu> menu(page->createMenuForRow(row));
        QVERIFY(menu);
        checkActions(menu->actions(), QStringLiteral("row menu %1").arg(row));
    }
    QVERIFY2(m_unmarked.isEmpty(), qPrintable(m_unmarked.join(u'\n')));
}

void TestTranslations::addUserDialogStringsAreTranslatable()
{
    AddUserDialog dialog(*m_org->db, m_org->clock, m_org->admin, UserKind::Crm);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    checkWidgetTree(&dialog);
    QVERIFY2(m_unmarked.isEmpty(), qPrintable(m_unmarked.join(u'\n')));
}

void TestTranslations::germanLoads()
{
    removeTranslations();
    QCOMPARE(installTranslations(QLocale(QLocale::German, QLocale::Germany)), QStringLiteral("de"));
    QCOMPARE(QCoreApplication::translate("roster::MainWindow", "&File"), QStringLiteral("&Datei"));
    QCOMPARE(QCoreApplication::translate("UserStatus", "Confirmed"), QStringLiteral("Bestätigt"));
    // Helpers with a fixed context that lupdate files under the namespace: rosterctl, app/.
    QCOMPARE(QCoreApplication::translate("rosterctl", "No command given."),
             QStringLiteral("Kein Befehl angegeben."));
    QCOMPARE(QCoreApplication::translate("AuthService", "Wrong email or password."),
             QStringLiteral("E-Mail oder Passwort ist falsch."));
    QCOMPARE(QCoreApplication::translate("roster::UsersPage", "Unconfirmed users"),
             QStringLiteral("Unbestätigte Benutzer"));
    // The per-recipient words of `rosterctl outbox deliver` are a contract for scripts.
    QCOMPARE(QCoreApplication::translate("rosterctl", "added %1"), QStringLiteral("added %1"));
    if (QFile::exists(QLibraryInfo::path(QLibraryInfo::TranslationsPath) +
                      QStringLiteral("/qtbase_de.qm")))
        QCOMPARE(QCoreApplication::translate("QPlatformTheme", "Cancel"),
                 QStringLiteral("Abbrechen"));
    // French too, and English stays English.
    QCOMPARE(installTranslations(QLocale(QLocale::French, QLocale::France)), QStringLiteral("fr"));
    QCOMPARE(QCoreApplication::translate("roster::MainWindow", "&File"),
             QStringLiteral("&Fichier"));
    QCOMPARE(installTranslations(QLocale(QLocale::English, QLocale::UnitedStates)), QString());
    QCOMPARE(QCoreApplication::translate("roster::MainWindow", "&File"), QStringLiteral("&File"));
}

void TestTranslations::noEnglishPluralShortcuts()
{
    // "day(s)" reads badly in English and cannot be translated at all: say 1 day / %1 days.
    static const QRegularExpression lazyPlural(QStringLiteral(R"(\b(?!http\(s\))\w+\(s\))"));
    const QString dir =
        qEnvironmentVariable("ROSTER_SOURCE_DIR") + QStringLiteral("/translations/");
    for (const QString &name : {QStringLiteral("roster_de.ts"), QStringLiteral("roster_fr.ts")}) {
        QFile f(dir + name);
        QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName()));
        const QString ts = QString::fromUtf8(f.readAll());
        static const QRegularExpression text(QStringLiteral("<(source|translation)>([^<]*)<"));
        for (auto it = text.globalMatch(ts); it.hasNext();) {
            const QString s = it.next().captured(2);
            QVERIFY2(!lazyPlural.match(s).hasMatch(), qPrintable(name + u": " + s));
        }
    }
}

void TestTranslations::everyStringIsTranslated_data()
{
    QTest::addColumn<QString>("file");
    QTest::newRow("de") << QStringLiteral("roster_de.ts");
    QTest::newRow("fr") << QStringLiteral("roster_fr.ts");
}

void TestTranslations::everyStringIsTranslated()
{
    // The pseudo-translation's .ts, beside its .qm, holds every string the sources have now.
    QFETCH(QString, file);
    QString pseudoPath = QStringLiteral(ROSTER_PSEUDO_QM);
    pseudoPath.replace(pseudoPath.size() - 3, 3, QStringLiteral(".ts"));
    QString error;
    const QList<TsMessage> current = readTs(pseudoPath, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(current.size() > 100);
    const QList<TsMessage> ts =
        readTs(qEnvironmentVariable("ROSTER_SOURCE_DIR") + QStringLiteral("/translations/") + file,
               &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));

    QSet<QString> inSources;
    for (const TsMessage &m : current)
        inSources.insert(key(m));
    QSet<QString> inTs;
    QStringList problems;
    for (const TsMessage &m : ts) {
        inTs.insert(key(m));
        const QString where = m.context + QStringLiteral(" \"") + m.source + u'"';
        if (!inSources.contains(key(m)) || m.type == u"vanished" || m.type == u"obsolete") {
            problems << where + QStringLiteral(": no longer in the sources (vanished)");
            continue;
        }
        if (m.type == u"unfinished" || m.translations.isEmpty() ||
            std::any_of(m.translations.cbegin(), m.translations.cend(),
                        [](const QString &t) { return t.isEmpty(); })) {
            problems << where + QStringLiteral(": unfinished");
            continue;
        }
        for (const QString &t : m.translations)
            if (shape(t) != shape(m.source))
                problems << where + QStringLiteral(": \"") + t + QStringLiteral("\" has ") +
                                shape(t) + QStringLiteral(", the source ") + shape(m.source);
    }
    for (const TsMessage &m : current)
        if (!inTs.contains(key(m)))
            problems << m.context + QStringLiteral(" \"") + m.source +
                            QStringLiteral("\": missing (run the update_translations target)");
    // One line each (QVERIFY2's message would be cut short), then the count.
    for (const QString &p : std::as_const(problems))
        qWarning().noquote() << file + QStringLiteral(": ") + p;
    QVERIFY2(problems.isEmpty(),
             qPrintable(QStringLiteral("%1: %2 problems among %3 messages (listed above)")
                            .arg(file)
                            .arg(problems.size())
                            .arg(current.size())));
}

QTEST_MAIN(TestTranslations)
#include "tst_translations.moc"
