"""Billing: subscription charges, refunds, payment methods, invoices, financing, rebates."""

from support_content import Scenario, by, joint, num

CAT = "billing"

DUP_OUTCOME = [
    "[There is only one invoice on your account for this period|We only billed you once this period], so the "
    "second {plan_price} is a pending authorization from when your bank re-verified the card. It isn't a completed "
    "charge: your bank [will release|should drop] it within 3-5 business days[ and it'll disappear from your "
    "statement|].",
    "You were [billed|charged] twice: the renewal [retried after a timeout|was retried after your bank took too long "
    "to respond] and both attempts went through. I've refunded the duplicate {plan_price} [just now|today]. Refunds "
    "[usually take|take] 5-10 business days to show up, depending on your bank.",
]

CANCEL_EFFECT = {
    "monthly": "[You'll keep Plus until the end of the current billing period|Plus stays active until "
               "{renewal_date}, the end of your current month], and you won't be charged again.",
    "annual": "[Plus stays active until your renewal date ({renewal_date})|You keep access until {renewal_date}] "
              "and won't be charged again. [Annual plans can be refunded in full within 14 days of the charge, so "
              "if you renewed recently, reply here and I'll process that.|If your annual renewal was less than 14 "
              "days ago, you're also eligible for a full refund - just ask.]",
}


def _refund_outcome(t):
    if int(t.value("days_since")) <= 14:
        return ("Because the renewal was {days_since} days ago, it's within our 14-day refund window for annual "
                "plans, so I've [refunded|issued a full refund of] $59.00 [to your card|to the original payment "
                "method] and cancelled the renewal. [It'll show up within 5-10 business days.|Expect it on your "
                "statement in 5-10 business days.]")
    return ("The renewal was {days_since} days ago, which is outside the 14-day refund window for annual plans, so "
            "I can't refund it in full. [What I can do is turn off auto-renew so you aren't charged next year|I've "
            "gone ahead and switched off auto-renewal], and your Plus benefits stay active until the end of the year "
            "you've paid for.[ As a one-time courtesy I've also added a $15 credit to your account.|]")


CHARGES = [("$5.99", "a monthly Plus payment"), ("$59.00", "an annual Plus payment"),
           ("$39.00", "a Sense room sensor"), ("$24.99", "the Power Adapter Kit"),
           ("$139.00", "a Tempo Lite thermostat"), ("$219.00", "a Tempo 3 thermostat"),
           ("$69.00", "a Sense 2-pack")]

SCENARIOS = [
    Scenario(
        key="billing/double_charge", category=CAT, weight=1.3,
        user=[
            "[I just checked my bank app and|Looking at my card statement,|My bank is showing that|So] I've been "
            "charged [twice|two times|2x] for {plus_name} [this month|on the same day|this morning]: two charges of "
            "{plan_price}[ from QUILLFLD*PLUS|]. [Can you refund one of them?|Please refund the duplicate.|What's "
            "going on?|Is this a mistake on your end?|I only have one subscription.]",
            "There are [two|2] {plan_price} charges from Quillfield on my [card|credit card|debit card] [dated "
            "{month_day}|from {weekday}|this week]. I only have one [home|account|{plan} subscription] so one of these "
            "has to be wrong. [Please fix this.|Why was I billed twice?|I'd like the extra one back.|Can someone look "
            "at this today?]",
            "Double charged[!|.|??] {plan_price} twice [this morning|yesterday|on {month_day}][ for Plus|]. [Refund "
            "please.|How do I get my money back?|This is the second time this has happened.|Not happy about this.]",
            "I [noticed|saw] that my {plan} {plus_name} renewal went through twice[ - my statement lists both|, the "
            "amounts are identical]. [Money is tight this month so I need this sorted quickly.|Could you check and "
            "reverse the extra charge?|Can you tell me which one is real?]",
        ],
        answer=[
            "{ack_problem} I [took a look at|checked|went through] your billing history[ for this month|]. {dup_outcome}"
            "\n\n[If you want to double-check, open the app and go to Account > Billing > Invoices: you'll see exactly "
            "one paid invoice per billing period.|You can confirm what we actually captured under Account > Billing > "
            "Invoices in the app.|For reference, Account > Billing > Invoices in the app lists every charge we've "
            "actually taken.] [If the second charge is still on your statement after 5 business days, reply here and "
            "I'll escalate it to our payments team.|Let me know if anything else looks off.|]",
            "[Thanks for the details|Thanks for letting us know|Sorry for the worry this caused]. {dup_outcome} "
            "[Nothing else is needed from you.|You don't need to do anything else.|No action needed on your side.] "
            "[Your {plan} plan stays active as normal.|Your subscription itself isn't affected.|]",
        ],
        vague=["[Something's wrong|Something looks off|I think there's a problem] with my [bill|billing|statement] "
               "this month.", "[Why|How come] [was I|am I] charged [more than usual|extra] this month?",
               "hey, question about a charge from you guys"],
        clarify=["[Sorry to hear that|Let's take a look|Happy to check]. [Could you tell me|Can you share] the amount "
                 "and date of the charges you're seeing[, and whether they say QUILLFLD*PLUS or QUILLFLD*STORE|]?",
                 "I can look into that. What's the amount on the charge and roughly when did it appear?"],
        details=["It's {plan_price} twice[, both on {month_day}| on the same day], [both |]QUILLFLD*PLUS.",
                 "[Two|2] charges of {plan_price} [this week|yesterday][, same description|]."],
        retry=["It's been [a week|6 business days|over a week] and [the second charge is still there|my bank still "
               "shows both charges|nothing has changed]."],
        escalate=["[Thanks for your patience|Sorry it's dragging on|I'm sorry this hasn't cleared]. I've [escalated "
                  "this to|opened a case with] our payments team [with the transaction details|and marked it "
                  "urgent]; they'll [contact your bank directly|trace the authorization with the card network] and "
                  "reply [within 2 business days|by email within 48 hours]. If your bank asks for proof of what we "
                  "billed, the invoices under Account > Billing > Invoices show every charge we've taken."],
        slots={"dup_outcome": DUP_OUTCOME},
        synth={
            "topic": "a duplicate charge on your [Quillfield Plus subscription|subscription]",
            "asks": ["I was charged twice for my Quillfield Plus subscription this month. How can I get a refund for "
                     "the duplicate charge?", "Why do I see two identical charges from Quillfield on my credit card "
                     "statement?", "I noticed a double charge for my subscription. What should I do?"],
            "steps": [
                ("Review your invoices", "Open the Quillfield app and navigate to Account > Billing > Invoices to "
                 "[confirm|verify] how many invoices were issued."),
                ("Check for pending authorizations", "[Sometimes|In some cases], one of the charges is a temporary "
                 "authorization that your bank will release within 3-5 business days."),
                ("Wait for the pending charge to clear", "[Give it|Allow] a few business days for the "
                 "[temporary|pending] charge to disappear from your statement."),
                ("Contact support", "If two invoices were issued, contact [customer support|our support team] to "
                 "request a refund for the duplicate charge."),
                ("Monitor your statement", "Refunds [typically|generally] take 5-10 business days to appear [on your "
                 "statement|in your account]."),
                ("Contact your bank", "If the charge does not disappear, [your bank can|you can ask your bank to] "
                 "provide more details about the transaction."),
            ],
        },
    ),
    Scenario(
        key="billing/cancel_plus", category=CAT, weight=1.3,
        user=[
            "How do I cancel [Plus|my Quillfield Plus subscription|the subscription]? [I can't find the option "
            "anywhere in the app.|I've looked everywhere in the app.|The app just keeps showing me the benefits "
            "page.|]",
            "[I'd like to|I want to|Please] cancel my {plan} [Plus |]subscription. [I'm not really using the energy "
            "reports.|Money's tight right now.|We're moving and won't have the thermostat anymore.|It's not worth it "
            "for us.] [Will I get charged again?|Do I lose access right away?|Will the thermostat still work without "
            "it?|]",
            "cancel plus[ please| subscription|]",
            "If I cancel Plus [today|now], what happens to [Smart Shift|my energy reports|my extended warranty|the "
            "schedules I've set up]?",
        ],
        answer=[
            "[No problem|Sure|Of course] - [here's how to cancel|you can cancel in a few taps]:\n\n1. Open the "
            "Quillfield app and tap Account.\n2. Go to Subscription > Manage.\n3. Tap Cancel {plan_cap} plan and "
            "confirm.\n\n{cancel_effect} [Your thermostat keeps working normally without Plus: schedules, remote "
            "control and Eco mode are all free.|Everything that isn't a Plus feature (schedules, remote control, Eco "
            "mode) keeps working.|]",
            "{ack_question} You can cancel [any time|whenever you like] from Account > Subscription > Manage > Cancel "
            "in the app[ (it's not available on the website yet)|]. {cancel_effect} [When Plus ends you lose Smart "
            "Shift, the monthly energy reports and the extra year of warranty on Tempo thermostats; schedules and "
            "remote control stay free.|After it ends, Smart Shift and the energy reports switch off, but your "
            "schedules and remote control aren't affected.]",
            "Account > Subscription > Manage > Cancel in the app. {cancel_effect}",
        ],
        retry=["I don't see a Manage button[, just 'See benefits'|], I'm on {phone_model}.",
               "[I tapped cancel but|It says] 'Something went wrong, try again later'."],
        escalate=[
            "[Thanks, that helps|Got it]. If you signed up through the App Store or Google Play, the subscription is "
            "managed by them rather than us, which is why the Manage button is missing. [On iPhone: Settings > your "
            "name > Subscriptions > Quillfield Plus > Cancel.|On Android: Play Store > profile icon > Payments & "
            "subscriptions > Subscriptions > Quillfield Plus > Cancel.] [If it still won't go through, I can cancel "
            "it from our side - just confirm you'd like me to.|]",
            "Sorry about that - there was a short outage on subscription changes earlier today. I've cancelled it for "
            "you from our side [instead|directly]; you'll get a confirmation email in a few minutes and Plus stays "
            "active until {renewal_date}.",
        ],
        slots={"cancel_effect": by("plan", CANCEL_EFFECT),
               "plan_cap": by("plan", {"monthly": "Monthly", "annual": "Annual"})},
        synth={
            "topic": "cancelling your Quillfield Plus subscription",
            "asks": ["How can I cancel my Quillfield Plus subscription?", "What happens if I cancel my Quillfield Plus "
                     "subscription?", "Can you explain the steps to cancel my subscription?"],
            "steps": [
                ("Open the Quillfield app", "Launch the app on your smartphone and [sign in|log in] to your account."),
                ("Navigate to Subscription", "Tap Account, then select Subscription > Manage."),
                ("Cancel your plan", "Tap the cancel option and follow the on-screen prompts to confirm [your "
                 "cancellation|the cancellation]."),
                ("Check your email", "You will receive a confirmation email once the cancellation [is "
                 "processed|has been completed]."),
                ("Keep using your features", "You will [retain|keep] access to Plus features until the end of your "
                 "current billing period."),
                ("App store subscriptions", "If you subscribed through the App Store or Google Play, you will need to "
                 "cancel [through|via] that store instead."),
            ],
        },
    ),
    Scenario(
        key="billing/annual_refund", category=CAT,
        user=[
            "[You|Quillfield] just [charged|billed] me $59 for [another year of Plus|an annual renewal] [without any "
            "warning|and I never got a reminder|that I didn't ask for]. [I want a refund.|I didn't want to renew.|"
            "Please reverse it.] [It was charged {days_since} days ago.|The charge is from {days_since} days ago.|]",
            "My Plus subscription auto-renewed for a year [about {days_since} days ago|on {month_day}]. I [forgot|"
            "didn't realise] it was annual[ and honestly we barely use it|]. Is it possible to get a refund?",
            "auto renewal $59 - didn't want it. refund?[ was {days_since} days ago|]",
        ],
        answer=[
            "{ack_problem} {refund_outcome}\n\n[For what it's worth, we email a reminder 7 days before every annual "
            "renewal; it may have gone to a promotions or spam folder.|We do send a reminder email 7 days before "
            "annual renewals - if you didn't get it, it's worth checking that the email on your account is current.|]",
            "[Thanks for getting in touch|I've looked into your account]. {refund_outcome} [You can see the change "
            "under Account > Subscription in the app.|Your subscription page in the app already shows the update.|]",
        ],
        slots={"days_since": num(2, 40), "refund_outcome": _refund_outcome},
        synth={
            "topic": "getting a refund for an annual subscription renewal",
            "asks": ["My Quillfield Plus subscription renewed automatically for another year. Can I get a refund?",
                     "I did not want my annual subscription to renew. What are my options?"],
            "steps": [
                ("Check the renewal date", "Go to Account > Subscription in the Quillfield app to see when your plan "
                 "renewed."),
                ("Review the refund policy", "Annual plans are [eligible for|entitled to] a full refund within 14 days "
                 "of the charge."),
                ("Request a refund", "Contact customer support [through the app|via Help > Chat with us] and request "
                 "a refund for the renewal."),
                ("Turn off auto-renewal", "To avoid future charges, disable auto-renewal in your subscription "
                 "settings."),
                ("Check your email settings", "Make sure renewal reminder emails are not going to your spam folder."),
            ],
        },
    ),
    Scenario(
        key="billing/price_increase", category=CAT, weight=0.8,
        user=[
            "Why did my Plus [bill|charge] go up from $4.99 to $5.99? [Nobody told me about a price increase.|I don't "
            "remember agreeing to that.|That's a 20% increase!]",
            "[My|The] monthly charge changed [this month|on my last statement] - it used to be $4.99 and now it's "
            "$5.99. [Is this a mistake?|What changed?|Is there any way to keep the old price?]",
            "[Price went up?|Saw the new price.] [Is there a cheaper plan?|Can I lock in the old rate?|Any discount for "
            "long-time customers?]",
        ],
        answer=[
            "{ack_question} [The monthly price of Quillfield Plus changed from $4.99 to $5.99|We raised the monthly "
            "Plus price from $4.99 to $5.99] [on {month_day}|this quarter]; we emailed every subscriber 30 days before "
            "the change and posted it in the app. [It's the first increase since Plus launched, and it pays for the "
            "new Smart Shift rate data from more utilities.|The increase covers the cost of adding time-of-use rates "
            "for more utilities to Smart Shift.]\n\n[If you'd like to pay less, the annual plan is $59 a year, which "
            "works out to about $4.92 a month.|One way to save is the annual plan: $59 a year, roughly $4.92 a month. "
            "You can switch under Account > Subscription > Change plan and the unused part of this month is credited.]",
            "[Sorry for the surprise|I understand nobody likes a price change]. [It isn't a mistake:|It's not an "
            "error -] Plus went from $4.99 to $5.99 a month [for all monthly subscribers|across the board], with "
            "notice sent by email 30 days ahead. [Annual subscribers keep their current price until their next "
            "renewal.|If you were on annual billing your price wouldn't change until renewal.] [You can switch to "
            "annual ($59/year) at Account > Subscription > Change plan, which brings it below the old monthly price."
            "|If you switch to the annual plan for $59, it's cheaper than the old monthly price.]",
            "[The change is real|That's correct]: monthly Plus is now $5.99, up from $4.99. [We gave 30 days' notice by email "
            "and in the app, but I know those are easy to miss.|The notice went out by email a month before, which is "
            "easy to overlook.] [There's no way to keep the old monthly price, but the annual plan at $59 a year "
            "comes to about $4.92 a month.|The cheapest option now is annual billing: $59 a year, about $4.92 a "
            "month.] [If Plus isn't worth it to you at the new price, you can cancel any time and keep it until the "
            "end of the month you've paid for.|And if it no longer makes sense for you, cancelling is instant and "
            "you keep Plus until the end of the paid month.]",
        ],
        synth={
            "topic": "the recent change in Quillfield Plus pricing",
            "asks": ["Why did the price of my Quillfield Plus subscription increase?", "My monthly subscription "
                     "price went up. Is there a way to pay less?"],
            "steps": [
                ("Review the announcement", "Check your email for the price change notice sent 30 days [before|prior "
                 "to] the change."),
                ("Compare plans", "The annual plan costs $59 per year, which [is cheaper than|works out cheaper than] "
                 "paying monthly."),
                ("Switch to annual billing", "Go to Account > Subscription > Change plan in the Quillfield app."),
                ("Evaluate your usage", "Consider which Plus features you use most to decide whether the "
                 "subscription is right for you."),
                ("Contact support", "If you have questions about your bill, our support team is available [through "
                 "the app|in the Help section]."),
            ],
        },
    ),
    Scenario(
        key="billing/payment_failed", category=CAT, weight=1.1,
        user=[
            "[I got an email saying|The app says] my [payment failed|payment didn't go through|card was declined] "
            "for Plus. [My card expired last month|I got a new card from my bank|I changed banks] - how do I update "
            "it?",
            "Plus [features|Smart Shift] stopped working and the app says 'payment issue'. [I didn't know my card had "
            "expired.|My old card was cancelled after some fraud.|] [How do I fix this?|Will I lose my settings?]",
            "how [to|do i] change [the|my] card on file[?|]",
            "[Got|Received] an email that my [Quillfield|Plus] payment was declined. [The card is fine, I used it "
            "yesterday.|Not sure why, I have money in the account.] [Can you try again?|What should I do?]",
        ],
        answer=[
            "{ack_problem} To update your card:\n\n1. In the app, go to Account > Billing > Payment methods.\n2. Tap "
            "Add payment method and enter the new card (or choose PayPal).\n3. Set it as default and remove the "
            "expired one.\n\n{retry_note}",
            "[Easy fix|That's easy to fix|Thanks for letting us know]: add the new card under Account > Billing > "
            "Payment methods[ in the app|] and make it the default. {retry_note} [Nothing about your schedules or "
            "settings is lost while a payment is outstanding.|Your thermostat settings and schedules aren't affected "
            "at all.]",
            "{ack_problem} [When a payment fails we keep Plus running for 10 days while we retry, so nothing has been lost.|"
            "Plus stays active for a 10-day grace period after a failed payment.] [Add the new card in the app under "
            "Account > Billing > Payment methods, or on the website under the same menu; PayPal works too.|Update the "
            "card at Account > Billing > Payment methods (PayPal is also an option).] [As soon as it's saved, the "
            "outstanding {plan_price} is retried and the payment issue banner disappears.|Saving it triggers an "
            "immediate retry of the {plan_price}, and the warning goes away.]",
        ],
        retry=["I added the new card but it still says payment issue.", "It keeps saying 'card could not be "
               "verified'[ when I add it|]."],
        escalate=["[Thanks for trying that|Sorry, that's annoying]. 'Could not be verified' usually means the bank "
                  "declined the $0 verification check - it happens a lot with new cards that haven't been used online "
                  "yet. [Please try once more in a few minutes, or call the number on the back of the card and ask "
                  "them to allow the verification from QUILLFLD*PLUS.|Your bank can approve it if you call them and "
                  "mention QUILLFLD*PLUS.] If it still fails, PayPal works as an alternative under the same menu."],
        slots={"retry_note": [
            "Once the new card is saved, we retry the failed payment [automatically within an hour|straight away] and "
            "Plus features switch back on.",
            "[After a failed payment we retry 3 times over 10 days|We retry failed payments three times over 10 days] "
            "before pausing Plus, so adding the card now [avoids any interruption|means nothing gets paused]; the "
            "outstanding {plan_price} is taken as soon as it's saved."]},
        synth={
            "topic": "updating your payment method",
            "asks": ["My payment for Quillfield Plus failed because my card expired. How do I update my payment "
                     "method?", "How can I change the credit card on my Quillfield account?"],
            "steps": [
                ("Open Billing settings", "Go to Account > Billing > Payment methods in the Quillfield app."),
                ("Add a new card", "Tap Add payment method and enter your new card details [carefully|accurately]."),
                ("Set as default", "Make the new card your default payment method."),
                ("Remove the old card", "Delete the expired card to avoid [future payment issues|confusion]."),
                ("Retry the payment", "The failed payment will be retried automatically once a valid card is saved."),
                ("Contact your bank", "If the card cannot be verified, your bank may need to approve the "
                 "transaction."),
            ],
        },
    ),
    Scenario(
        key="billing/invoices", category=CAT,
        user=[
            "I need [an invoice|a proper invoice|receipts] for [my Tempo 3 purchase|the Vault installation|my Plus "
            "payments this year] for [my taxes|my expense report|a utility rebate|my accountant]. [Where can I find "
            "them?|Can you email them?|The confirmation email isn't enough.]",
            "Can I get invoices with [my company name|our business name|a VAT number] on them? [I work from home and "
            "claim part of the energy costs.|We installed the thermostat in our office.|]",
            "where are my [receipts|invoices][?|]",
        ],
        answer=[
            "{ack_question} [All your invoices are in|You can download every invoice from] Account > Billing > "
            "Invoices in the app[ or on the website|]: tap any invoice and choose Download PDF. {invoice_detail}",
            "[Sure|Of course|No problem]. {invoice_detail} [To download them, go to Account > Billing > Invoices and "
            "tap Download PDF on each one; there's also an Export year button that bundles a year into one ZIP file."
            "|Account > Billing > Invoices has a PDF for every payment, and Export year gives you all of them in one "
            "ZIP.]",
        ],
        slots={"invoice_detail": [
            "For hardware orders, the invoice is attached to the order under Account > Orders instead.",
            "If you need a business name or tax number on them, add it under Account > Billing > Billing details "
            "first; invoices are regenerated with the new details [straight away|within a few minutes], including "
            "past ones.",
            "The Vault installation is invoiced by your installer rather than by us, so for the installation line "
            "you'll need to ask them; the battery itself is on our invoice under Account > Orders.",
            "Utility rebate programmes usually want the itemised invoice (not the order confirmation), which "
            "includes the model number they ask for."]},
        synth={
            "topic": "accessing your invoices and receipts",
            "asks": ["Where can I find invoices for my Quillfield purchases?", "How do I download a receipt for my "
                     "subscription payments?"],
            "steps": [
                ("Open the app", "Launch the Quillfield app and sign in to your account."),
                ("Go to Invoices", "Navigate to Account > Billing > Invoices."),
                ("Download a PDF", "Tap any invoice and select Download PDF to save a copy."),
                ("Export a full year", "Use the Export year option to download all invoices at once."),
                ("Add business details", "If needed, add your company name under Account > Billing > Billing "
                 "details."),
                ("Check hardware orders", "Invoices for devices can be found under Account > Orders."),
            ],
        },
    ),
    Scenario(
        key="billing/financing", category=CAT, weight=0.8,
        user=[
            "@payoff [I'm financing|We financed] our {battery} through Quillfield Finance. [Can I pay it off early without a "
            "penalty?|If I make an extra payment does it lower next month's payment or shorten the loan?|How do I see "
            "how much is left?]",
            "@autopay The autopay for my battery loan [took|pulled] {payment_amount} [two days early|on the wrong "
            "date|twice this month]. [Why?|Can you move it to the 15th?|That overdrew my account.]",
            "@apr Is the {battery} financing really 0%? [What happens after the promo period?|Are there any fees?|What's "
            "the catch?]",
        ],
        answer=[
            "@payoff {ack_question} [You can pay off your Vault financing early at any time with no prepayment penalty.|"
            "There's no penalty for paying early.] [Extra payments go to the principal and shorten the term; your "
            "monthly payment stays the same unless you ask us to re-amortise.|An extra payment reduces the balance "
            "and shortens the loan rather than lowering the next payment.] [You'll find the balance, payoff amount and "
            "payment history under Energy > Vault > Financing in the app.|The payoff quote is under Energy > Vault > "
            "Financing in the app; it's valid for 10 days.]",
            "@autopay {ack_problem} Autopay runs [3 business days before the due date|a few days before the due date] so the "
            "payment posts on time, which is why it came out early. [You can change the due date once a year under "
            "Energy > Vault > Financing > Payment date; pick any day from the 1st to the 28th.|You can move the due "
            "date (1st-28th) once every 12 months under Energy > Vault > Financing > Payment date.] [If you were "
            "charged twice, the second pull will be reversed automatically within 2 business days - reply here if it "
            "isn't.|]",
            "@apr [Yes|It is]: the promotional plan is 0% APR for 24 months with no origination fee. [If a balance is left "
            "after 24 months, the remaining amount converts to a fixed 7.99% APR over the next 36 months; there's no "
            "retroactive interest.|After the 24 months any remaining balance moves to 7.99% APR fixed, and interest is "
            "only charged from that point on.] Late payments have a $15 fee after a 10-day grace period.",
        ],
        slots={"payment_amount": num(180, 420, "${}.00")},
        synth={
            "topic": "financing your Vault home battery",
            "asks": ["Can I pay off my Vault battery financing early?", "How does the financing for the Vault home "
                     "battery work?"],
            "steps": [
                ("Review your loan details", "Open Energy > Vault > Financing in the Quillfield app to see your "
                 "balance and payment schedule."),
                ("Make an extra payment", "Extra payments are applied to the principal and can shorten your loan "
                 "term."),
                ("Request a payoff quote", "A payoff quote [shows|tells you] the exact amount needed to close the "
                 "loan."),
                ("Change your payment date", "You can adjust the due date once per year in the Financing settings."),
                ("Understand the promotional rate", "The promotional period offers 0% APR for 24 months."),
            ],
        },
    ),
    Scenario(
        key="billing/trial_charge", category=CAT,
        user=[
            "I signed up for the [free trial|30-day trial] of Plus and got charged {plan_price} today. [I thought I'd "
            "get a reminder.|I meant to cancel before it ended.|I never even used it.] [Can I get that back?|Refund "
            "please.]",
            "Trial ended and [you|it] charged me [straight away|without asking]. [Cancel and refund|I want to cancel "
            "and get a refund] please.",
        ],
        answer=[
            "{ack_problem} The trial converts to a paid plan automatically on day 30, [and we send a reminder 3 days "
            "before|with a reminder email and app notification 3 days before]. [Because the first charge was today, "
            "I've refunded {plan_price} and cancelled Plus|Since you asked within 14 days of the first charge, I've "
            "refunded the {plan_price} and ended the subscription] - it'll be back on your card in 5-10 business "
            "days. [Your thermostat keeps working with all the free features.|Nothing changes for the free features.]",
            "[No problem, I've taken care of it|All sorted]. [I cancelled the subscription and refunded the first "
            "payment of {plan_price}|The {plan_price} first charge has been refunded and Plus is cancelled]. [First "
            "charges after a trial can be refunded within 14 days if you ask us.|We refund a first post-trial charge "
            "if you contact us within 14 days.] [Expect the refund in 5-10 business days depending on your bank.|"
            "Refunds land in 5-10 business days.]",
        ],
        synth={
            "topic": "charges after the free trial",
            "asks": ["I was charged after my free trial ended. Can I get a refund?", "Why was I charged after my "
                     "Quillfield Plus trial?"],
            "steps": [
                ("Understand the trial", "The 30-day free trial [automatically converts|converts automatically] to a "
                 "paid subscription."),
                ("Check your notifications", "A reminder is sent 3 days before the trial ends."),
                ("Request a refund", "Contact support within 14 days of the first charge to request a refund."),
                ("Cancel your subscription", "Go to Account > Subscription > Manage to cancel and avoid future "
                 "charges."),
                ("Keep free features", "Your thermostat will continue to work with all free features."),
            ],
        },
    ),
    Scenario(
        key="billing/promo_code", category=CAT, weight=0.7,
        user=[
            "[My|The] promo code {code} didn't apply at checkout[ and I already paid|]. [Can you refund the "
            "difference?|It said 'not eligible'.|I got it in your newsletter.]",
            "I [forgot|didn't see where] to enter my discount code ({code}) when I ordered a {thermostat} "
            "[yesterday|last night|on {weekday}]. Can it still be applied?",
        ],
        answer=[
            "{ack_problem} [{code} can't be combined with bundle pricing|{code} doesn't apply to items that are "
            "already on sale or in a bundle], which is why checkout rejected it. [Since the bundle discount was "
            "smaller than the code would have been, I've refunded the difference of {discount_amt} to your card.|That "
            "said, I've applied the difference as a one-time refund of {discount_amt}; you'll see it in 5-10 business "
            "days.]",
            "[Thanks for letting us know|No problem]. Codes can only be entered at checkout, but [we can adjust an "
            "order within 14 days of purchase|we honour valid codes for 14 days after an order]. I've refunded "
            "{discount_amt} ({code}) to your original payment method[; it should show within 5-10 business days|].",
        ],
        slots={"code": ["WARMUP20", "SPRING15", "NEWHOME25", "FRIEND10", "SAVEHEAT", "COZY30"],
               "discount_amt": num(10, 45, "${}.00")},
        synth={
            "topic": "applying a promo code to your order",
            "asks": ["My promo code did not work at checkout. What can I do?", "Can I apply a discount code after "
                     "placing my order?"],
            "steps": [
                ("Check the code", "Make sure the code is [entered correctly|spelled correctly] and has not "
                 "expired."),
                ("Review the terms", "Some codes cannot be combined with bundles or sale items."),
                ("Contact support", "Reach out within 14 days of your order to have a valid code applied."),
                ("Check your refund", "The discount will be refunded to your original payment method."),
            ],
        },
    ),
    Scenario(
        key="billing/utility_rebate", category=CAT, weight=0.7,
        user=[
            "@find Does my utility, {utility}, offer a rebate on the {thermostat}? [I heard some people get $50 back.|My "
            "neighbour said she got a rebate.|]",
            "@rejected I applied for the {utility} [thermostat|smart thermostat] rebate [two months ago|in {month}] and "
            "[haven't heard anything|got rejected because of the receipt]. [Can you help?|What do they need?]",
        ],
        answer=[
            "@find {ack_question} [Open the app and go to Energy > Rebates; it checks your ZIP code against the programmes "
            "we know about, including {utility}'s.|The Rebate Finder in the app (Energy > Rebates) lists what "
            "{utility} currently offers for your address.] [Many utilities give $50-$100 back on a qualifying smart "
            "thermostat, and a few apply it instantly at checkout in our store.|Typical rebates are $50 to $100 for "
            "an ENERGY STAR certified thermostat like the {thermostat}.] [Mail-in rebates usually need to be "
            "submitted within 90 days of purchase with the itemised invoice and the model number.|Most programmes ask "
            "for the itemised invoice and must be claimed within 90 days.]",
            "@rejected {ack_problem} Rebates are paid by {utility}, not by us, so I can't see their status, but [the most "
            "common reason for a rejection is using the order confirmation instead of the itemised invoice|rejections "
            "are usually about the receipt: they need the itemised invoice showing the model number (QF-T3 for Tempo "
            "3, QF-TL for Tempo Lite) and the purchase date]. [You can download it from Account > Orders > Invoice.|"
            "It's under Account > Orders in the app.][ Most programmes let you resubmit within 30 days of a "
            "rejection.|]",
        ],
        synth={
            "topic": "utility rebates for smart thermostats",
            "asks": ["Can I get a rebate from my utility for buying a Quillfield thermostat?", "How do I apply for a "
                     "utility rebate for my Tempo thermostat?"],
            "steps": [
                ("Use the Rebate Finder", "Open Energy > Rebates in the Quillfield app to see available programs."),
                ("Gather your documents", "Most utilities require an itemised invoice and the model number."),
                ("Submit on time", "Mail-in rebates usually must be submitted within 90 days of purchase."),
                ("Track your application", "Contact your utility directly for updates on your rebate status."),
                ("Resubmit if needed", "If your rebate is rejected, check the reason and resubmit with the correct "
                 "documents."),
            ],
        },
    ),
    Scenario(
        key="billing/unrecognized_charge", category=CAT, weight=0.9,
        user=[
            "What is this charge '[QUILLFLD*PLUS|QUILLFLD*STORE]' for {charge_amt} on my statement? [I don't remember "
            "buying anything.|I don't think I have an account with you.|My wife says it wasn't her.|]",
            "There's a {charge_amt} charge from QUILLFLD on my card [I don't recognise|that I didn't make]. [Is this "
            "fraud?|Who is this?|Please explain.]",
        ],
        answer=[
            "{ack_question} [QUILLFLD*PLUS is how our Quillfield Plus subscription appears on card statements, and "
            "QUILLFLD*STORE is used for hardware orders from our online store.|Charges from us show up as "
            "QUILLFLD*PLUS (the Plus subscription) or QUILLFLD*STORE (devices and accessories).] [{charge_amt} matches "
            "{charge_match}.|A charge of {charge_amt} is usually {charge_match}.] [If someone else in your household "
            "set up the thermostat, the subscription may be on their account.|It's worth asking whoever set up your "
            "thermostat - household members sometimes start the trial on their own account.] If you still don't "
            "recognise it, [reply with the last 4 digits of the card and the date, and I'll look it up|send me the "
            "last four digits and the charge date (never the full number) and I'll find it].",
        ],
        retry=["[Checked with everyone here, nobody bought anything.|Nobody in the house recognises it.] [The card "
               "ends in {last4}|Last four: {last4}], charged on {month_day}."],
        escalate=["Thanks. I couldn't find any payment from a card ending in {last4}[ on that date|], so it isn't one "
                  "of ours. [Please report it to your bank as unauthorised; they'll cancel the card and refund it.|Your "
                  "bank's fraud team should handle it from here - they can block the card and reverse the charge.] "
                  "[Merchants sometimes use names that look similar to ours.|Some unrelated merchants have similar "
                  "descriptors.]"],
        slots={"charge_amt": joint("charge", 0, CHARGES), "charge_match": joint("charge", 1, CHARGES),
               "last4": num(1000, 9999)},
        synth={
            "topic": "an unrecognized charge on your statement",
            "asks": ["I see a charge from QUILLFLD on my credit card statement that I do not recognize. What is it?",
                     "What does the QUILLFLD*PLUS charge on my bank statement mean?"],
            "steps": [
                ("Identify the descriptor", "QUILLFLD*PLUS refers to the subscription, while QUILLFLD*STORE refers to "
                 "hardware purchases."),
                ("Check with your household", "Another household member may have made the purchase."),
                ("Review your account", "Log in to the Quillfield app and check Account > Billing > Invoices."),
                ("Contact support", "Provide the last four digits of your card and the charge date so support can "
                 "investigate."),
                ("Contact your bank", "If the charge is not from Quillfield, report it to your bank as unauthorized."),
            ],
        },
    ),
]
