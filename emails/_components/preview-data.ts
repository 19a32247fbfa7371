import type { Course, Lesson } from "../../src/content/schema.ts";

/**
 * Preview data for the React Email dev server and the browser tests: a copy of the first course
 * (content/), embedded rather than loaded so templates stay free of `fs` and previews don't break
 * while someone is mid-edit on a lesson. Refresh it by hand if the course changes a lot.
 */

const lessonOneMarkdown = [
  "> *Welcome to Couples Therapy, Up Close, and thank you for signing up. This is the first of three lessons, each a short article about what couples therapy asks of both partners; the other two follow a week apart. Today’s article, by Dr. Keren Sofer, looks at why it can feel so hard.*",
  "Couple therapy is really really hard. Some couples might even call it excruciating at times. Why? Because it means taking the riskiest of risks, opening yourself up to find out the answers to some of these difficult questions:",
  "Am I truly loveable?",
  "Do I really count and matter to you?",
  "Will you ever be able to forgive me fully and trust me again?",
  "Can I forgive you and open my heart again to trust you?",
  "Some partners have never learned how to accept, convey or give love in honest and vulnerable ways. For those who have not been lucky enough to learn by experiencing love, answering these questions becomes tangled with pain and confusion. Getting it wrong might mean an hours-long argument, or maybe days of disconnection and silence.",
  "The capacity to love is part intuition and part learned. We are all born knowing that we need connection, love and comfort. Built into our very cells are the instinctual behaviors that help us reach for our caregivers, before we even have the language to ask or describe what we are longing for.",
  "When those needs for comfort and connection are not met by a loving other, we begin to compensate in all sorts of ways – by withdrawing, by protesting, by filling the void with material objects, or even food, drugs and technology. We learn that the ways we reached were not effective, and we overwrite those instinctual reaches with our compensatory behaviors.",
  "This is where couple therapy comes in to help. One of the goals of couple therapy is to help partners unlearn those compensatory behaviors and relearn the intuitive. For some, it might also mean experiencing for the very first time what it means to truly love another human and to truly let love in. How can we know what that is like if we have never experienced it? Couple therapy, to be genuinely impactful, needs to be experienced, on the visceral and emotional level, to reawaken a couple’s core capacity to love. It’s worth it, but it is not easy.",
].join("\n\n");

const lessonTwoMarkdown = [
  "The research on couples therapy and relationships is crystal clear: for successful repair and resolution, each partner must take responsibility for their contribution and role in the dynamic.",
  "Taking responsibility reflects a shift from blame to compassion. The shift must occur not only in the context of taking responsibility for your own role in the negative or destructive dynamic. It also means holding your partner accountable for the pain or hurt they caused you.",
  "Compassion is an essential component in this shift. To activate self-compassion, each person must take accountability for the harm and hurt they caused and be able to understand what past experiences or blind spots led to their own missteps. Self-compassion allows us to tolerate both the harm we caused and the recognition of our own wounds by being kind and generous with ourselves in spite of those constraints.",
  "Without self-compassion, each partner’s owning of their part could lead to a spiral into shame. Also significantly, taking responsibility for your part does not mean taking responsibility for the whole conflict or disconnect. It is important to emphasize this point, because blaming yourself for all of it will lead to getting stuck in shame, which blocks the pathway to connection and healing.",
  "Compassion for one’s partner is necessary as well. If we are unable to have empathy for our partner’s pain, it puts us at risk of being dismissive, and ultimately defensive.",
  "We cannot have true compassion for our partner without holding them accountable for the pain they caused us. If we do not acknowledge the hurt they caused us, we are just letting them off the hook. In a way, it is like saying they couldn’t help themselves, and they are not capable of doing any better. That, in fact, is a position of pity, not compassion.",
  "Though it might seem unlikely, holding your partner accountable is a way of showing love and will actually be a relief to them. When one is held accountable, they have a chance to confront their missteps and make amends. It is the process of making amends, recognizing the hurt one caused, and deeply feeling and expressing remorse, that ultimately heals the rift.",
  "Our instincts as humans tell us to protect ourselves from the difficult exposure of what we would rather hide. It is scary to look at your own pain points and hurts, in order to understand your own missteps and take responsibility for your role, and to take in your partner’s pain while holding them accountable for the hurts they caused you. Even though it is scary, it is also enormously courageous. Taking those steps to expand your capacity for compassion will transform your relationship, giving both you and your partner space to mess up and repair and ultimately deepen the trust and love between you.",
].join("\n\n");

const lessonThreeMarkdown = [
  "It’s common for partners to differ in their level of interest and openness to the therapy process. Depending on your presenting issues, your background, and any past therapy you’ve had, you and your partner may experience your therapy together very differently.",
  "Maybe one of you has already done a great deal of internal work through individual therapy, spiritual exploration, or even self-help materials. Couples therapy seems like the logical next step because you want to use your personal healing to enrich your relationship. In some ways, the foundation you’ve built for yourself will be a great support to the work you and your partner will do together. Many times, you will enter into therapy with a great deal of patience and compassion to offer your partner as they try to meet you where you are. Perhaps your partner sees you as a model for where they want to be and uses that as motivation when therapy feels difficult or anxiety-provoking.",
  "At the same time, however, your differing stages of healing can bring about unexpected obstacles. If you’ve spent months or even years developing self-awareness, you’ve become accustomed to the language of emotions and to the discomfort involved in exploring the deeper, lesser known parts of the self. Perhaps you’ve confronted shame, anger, and fear and have successfully come out on the other side. You learned facing your pain reveals a stronger, more resilient sense of self. You know the benefits of the work, and you’re ready to keep going!",
  "Your desire to hit the ground running, however, might set you up for disappointment and resentment. You might feel impatient or frustrated if you use your personal healing as a measuring stick for how your partner’s progress should look. Expecting that your health will engender health in your partner places unreasonable pressure on both of you. Don’t make yourself solely responsible for lifting your partner up; allow them to develop the self-efficacy that comes from doing their own hard work. Feel free to maintain your own progress without feeling tethered to theirs. Act as a witness to your partner’s work and acknowledge their efforts. Remember the courage it took for you to get where you are today, and offer compassion to encourage your partner to keep moving at their own pace.",
  "It’s important to note healing manifests in various ways. Assuming your partner’s journey toward health will resemble yours fails to take into account their personal history and unique way of being in the world. As you witness their journey, practice respect and acceptance for their individualized needs and development. Together, you can decide how to create a joint path to healing your relationship.",
  "When you’re the one who has less experience with self-exploration, you face a different challenge. You might perceive your partner as soaring easily to newer heights of self-actualization, while you feel you are limping along, too far behind to catch up. Don’t judge yourself against your partner’s current experience of health. Your partner has been where you are right now. They have struggled to confront distressing emotions. They have felt discouraged when they couldn’t move forward with a new pattern of thought or behavior. And they have wanted to give up when fear or shame overwhelmed them.",
  "Because self-improvement is an inside-out process, your partner’s growing pains might have been invisible to you. Imagine an iceberg; what we see on the surface of the water is nothing compared to the enormity of what exists underneath. Your partner’s comfort with introspection and emotional expression was hard-earned and the result of long-term, internal trial and error. Accept that you do need time, not necessarily to catch up to your partner, but to determine what the path to healing looks like for you.",
  "If you’d like more time to prepare for the relational work, individual therapy is a great option. Sometimes it’s helpful to engage in both individual and couples therapy at the same time. Your couples therapist might even be able to offer a few individual sessions to acclimate you to the process and allow you to feel more comfortable.",
  "At the end of the day, both of you need to feel you are working toward a common goal. Offer empathy and compassion to each other as you encounter deeper levels of intimacy. Give each other room to be vulnerable and authentic, offering acceptance and validation for uncomfortable thoughts and feelings. No matter how far apart your healing processes seem to be, you can join together in couples therapy to create profound change. Your relationship can become a sanctuary—the place you both go to feel safe, connected, and finally at home.",
].join("\n\n");

function readingMinutes(markdown: string): number {
  return Math.max(1, Math.ceil(markdown.split(/\s+/).filter(Boolean).length / 200));
}

/** Lesson 1: Dr. Keren Sofer's article, opening with an italic welcome blockquote. */
export const previewLesson: Lesson = {
  slug: "why-is-this-so-hard",
  title: "“Why Is This So Hard?” A closer look at couples therapy",
  subject: "“Why Is This So Hard?” A closer look at couples therapy",
  preview: "Couple therapy is really really hard. Some couples might even call it excruciating at times. Why?",
  author: "Dr. Keren Sofer",
  source: { name: "Dr. Keren Sofer's blog" },
  day: 0,
  number: 1,
  markdown: lessonOneMarkdown,
  readingMinutes: readingMinutes(lessonOneMarkdown),
  file: "lessons/01-why-is-this-so-hard.md",
};

const lessonTwo: Lesson = {
  slug: "blame-to-compassion",
  title: "Couples Therapy: Shifting from Blame to Compassion",
  subject: "Couples Therapy: Shifting from Blame to Compassion",
  preview: "Taking responsibility reflects a shift from blame to compassion.",
  author: "Dr. Keren Sofer",
  source: { name: "Dr. Keren Sofer's blog" },
  day: 7,
  number: 2,
  markdown: lessonTwoMarkdown,
  readingMinutes: readingMinutes(lessonTwoMarkdown),
  file: "lessons/02-blame-to-compassion.md",
};

/** Lesson 3 has every optional field: a linked source and a copyright credit line. */
export const previewCreditedLesson: Lesson = {
  slug: "different-stages-of-healing",
  title: "When Partners Are at Different Stages of Healing",
  subject: "When Partners Are at Different Stages of Healing",
  preview: "It’s common for partners to differ in their level of interest and openness to the therapy process.",
  author: "GoodTherapy.org contributor",
  source: { name: "GoodTherapy.org", url: "https://www.goodtherapy.org" },
  credit:
    "© Copyright 2007 - 2025 GoodTherapy.org. All rights reserved. The preceding article was solely written by the author named above. Any views and opinions expressed are not necessarily shared by GoodTherapy.org.",
  day: 14,
  number: 3,
  markdown: lessonThreeMarkdown,
  readingMinutes: readingMinutes(lessonThreeMarkdown),
  file: "lessons/03-different-stages-of-healing.md",
};

export const previewCourse: Course = {
  slug: "couples-therapy",
  name: "Couples Therapy, Up Close",
  description:
    "Three short lessons, one a week, on what couples therapy asks of both partners: why opening up to each other feels so risky, how to move from blame to compassion, and what to do when one of you is further along in healing than the other.",
  sender: { name: "Lessonpost" },
  postalAddress: "Lessonpost, 123 Example Street, Springfield, USA",
  schedule: { sendHour: 9, weekdays: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], timezone: "UTC" },
  graduation: { subject: "You’ve finished Couples Therapy, Up Close", daysAfterLastLesson: 7 },
  lessons: [previewLesson, lessonTwo, previewCreditedLesson],
  graduationDay: 21,
};

export const previewRecipient = { email: "dana@example.com", name: "Dana" };

export const previewUrls = {
  confirm: "https://lessonpost.example/confirm?token=3q2-7Yb9xK0sPzLr4mVwN8aTgHcJ1eUo",
  unsubscribe: "https://lessonpost.example/u/3q2-7Yb9xK0sPzLr4mVwN8aTgHcJ1eUo",
  preferences: "https://lessonpost.example/p/3q2-7Yb9xK0sPzLr4mVwN8aTgHcJ1eUo",
};

export const previewNewsletterSubject = "Holding your partner accountable, kindly";

export const previewNewsletterMarkdown = [
  "A few readers wrote back after the second lesson with the same question: *how do I hold my partner accountable without it turning into blame?*",
  "Here is the line from Dr. Keren Sofer’s article that answers it best:",
  "> We cannot have true compassion for our partner without holding them accountable for the pain they caused us.",
  "## Three small practices for this week",
  "1. **Name your part first.** One sentence, no “but”.\n2. **Name the hurt, not the character.** “I felt alone on Friday” lands differently from “you never show up”.\n3. **Leave room for repair.** Making amends is a process, not a verdict.",
  "If you missed it, the lesson is [Couples Therapy: Shifting from Blame to Compassion](https://lessonpost.example/couples-therapy/blame-to-compassion).",
  "Until next time,  \nThe Lessonpost team",
].join("\n\n");
